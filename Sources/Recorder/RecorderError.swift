/// Why the recorder cannot give what was asked (the routes answer it as HTTP).
public struct RecorderError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// No such sitting, or nothing recorded of it (404).
        case notFound
        /// Not possible yet: the sitting has not ended and been archived (409).
        case conflict
        /// Writing the file failed (500).
        case failed
    }

    public let kind: Kind
    public let code: String
    public let message: String

    public init(_ kind: Kind, code: String, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    static func notFound(_ message: String) -> RecorderError { RecorderError(.notFound, code: "not_found", message) }

    public var description: String { "\(code): \(message)" }
}
