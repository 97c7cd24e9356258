import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A plain HTTP client for the tests.
enum HTTP {
    struct Reply: Sendable {
        let status: Int
        let headers: [String: String]
        let body: Data
        let seconds: Double
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first { $0.key.lowercased() == name.lowercased() }?.value }
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        return URLSession(configuration: configuration)
    }()

    static func get(_ url: String, headers: [String: String] = [:]) async throws -> Reply {
        try await send("GET", url, headers: headers)
    }

    /// The Authorization header for `token` (none for nil).
    static func bearer(_ token: String?) -> [String: String] {
        token.map { ["Authorization": "Bearer \($0)"] } ?? [:]
    }

    static func post(_ url: String, body: Data, headers: [String: String] = [:]) async throws -> Reply {
        try await send("POST", url, body: body, headers: headers)
    }

    static func send(_ method: String, _ url: String, body: Data? = nil, headers: [String: String] = [:]) async throws -> Reply {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let start = Date()
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields["\(name)"] = "\(value)" }
        return Reply(status: http.statusCode, headers: fields, body: data, seconds: Date().timeIntervalSince(start))
    }

    /// Polls `url` until `condition` holds for a 200 reply, or fails after `timeout` seconds.
    static func waitFor(_ url: String, timeout: Double = 30, _ condition: (String) -> Bool) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            if let reply = try? await get(url) {
                last = "\(reply.status) \(reply.text)"
                if reply.status == 200 && condition(reply.text) { return reply.text }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw FixtureError(message: "timed out waiting on \(url); last reply: \(last.prefix(2000))")
    }
}
