/// A refused publish or subscription, with a stable code and, where it applies, the offending field.
public struct RelayError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// Malformed: not JSON, unknown type, missing field, wrong type (HTTP 400).
        case invalid
        /// Well-formed but not possible now: a tally for a vote that is not open (HTTP 422).
        case conflict
        /// No such channel (HTTP 404).
        case notFound
        /// The store failed (HTTP 503).
        case unavailable
    }

    public let kind: Kind
    public let code: String
    public let message: String
    public let field: String?

    public init(_ kind: Kind, code: String, _ message: String, field: String? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.field = field
    }

    /// The same error about a field of the `index`-th event of a batch.
    func inBatch(_ index: Int?) -> RelayError {
        guard let index else { return self }
        return RelayError(kind, code: code, message, field: "[\(index)]" + (field.map { $0.hasPrefix("[") ? $0 : ".\($0)" } ?? ""))
    }

    /// A well-formed date outside `ISO8601.supportedRange` (422): the server stores only dates it can
    /// read back exactly.
    public static func dateOutOfRange(field: String) -> RelayError {
        RelayError(.conflict, code: "date_out_of_range", "\(field) must be from 1900-01-01T00:00:00Z up to 2200-01-01T00:00:00Z", field: field)
    }

    public var description: String { "\(code): \(message)" + (field.map { " (\($0))" } ?? "") }
}
