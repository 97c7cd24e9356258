import Alerts
import Foundation
import HLS
import Hummingbird
import NIOCore

/// An error answered as `{"error": {"code", "message", "field"?}}` with its HTTP status.
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let field: String?
    /// Extra headers (`Retry-After`).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var body: [String: String] = ["code": code, "message": message]
        if let field { body["field"] = field }
        let data = try JSONEncoder().encode(["error": body])
        var fields: HTTPFields = [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"]
        fields.append(contentsOf: headers)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func notFound(_ message: String) -> APIError { APIError(.notFound, code: "not_found", message: message) }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "body_too_large", message: "the body is larger than \(limit) bytes")
    }

    /// Where an outbound URL may not lead: 400 for a URL that is not one, 422 for a host or address refused.
    init(_ refusal: OutboundRefusal, field: String) {
        self.init(refusal.code == .invalidURL ? .badRequest : .unprocessableContent, code: refusal.code.rawValue, message: refusal.message, field: field)
    }

    /// HLS errors as HTTP: 404 unknown, 400 bad directive, 503 not ready or timed out (retry soon).
    init(_ error: HLSError) {
        switch error.code {
        case .notFound: self.init(.notFound, code: error.code.rawValue, message: error.message)
        case .badRequest: self.init(.badRequest, code: error.code.rawValue, message: error.message)
        case .timedOut, .notReady:
            self.init(.serviceUnavailable, code: error.code.rawValue, message: error.message)
            headers[.retryAfter] = "1"
        }
    }
}

extension Request {
    /// The whole body, up to `limit` bytes: 413 `body_too_large` above (before reading anything when
    /// `Content-Length` says so). A body that is not valid HTTP (a broken chunk) is not "too large": that
    /// error goes on, and `RequestGuard` answers it with 400.
    func boundedBody(upTo limit: Int) async throws -> ByteBuffer {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit { throw APIError.tooLarge(limit) }
        do { return try await body.collect(upTo: limit) } catch is NIOTooManyBytesError {
            throw APIError.tooLarge(limit)
        }
    }

    /// The `limit` query parameter: `fallback` when absent, 400 `invalid_value` unless an integer in 1…`maximum`.
    func limit(default fallback: Int, maximum: Int) throws -> Int {
        guard let text = uri.queryParameters.get("limit") else { return fallback }
        guard let value = Int(text), (1...maximum).contains(value) else {
            throw APIError(.badRequest, code: "invalid_value", message: "limit must be 1–\(maximum)", field: "limit")
        }
        return value
    }
}
