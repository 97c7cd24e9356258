/// A setting that cannot be used, with the key that holds it.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let key: String
    public let message: String

    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "config.invalid: \(key): \(message)" }
}
