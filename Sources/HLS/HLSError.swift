/// An error answering an HLS request; the server maps `code` to an HTTP status.
public struct HLSError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// No such channel, rendition, segment or part.
        case notFound = "hls.not_found"
        /// A malformed `_HLS_msn`/`_HLS_part`, or one too far ahead of the live edge.
        case badRequest = "hls.bad_request"
        /// A blocking request not satisfied in time.
        case timedOut = "hls.timed_out"
        /// The channel has no media yet.
        case notReady = "hls.not_ready"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
