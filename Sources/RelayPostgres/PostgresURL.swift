import Foundation
import PostgresNIO
import Relay

/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]` as postgres-nio
/// configurations. `sslmode` defaults to `prefer` (TLS when the server offers it), as libpq does.
struct PostgresURL {
    let host: String
    let port: Int
    let username: String
    let password: String?
    let database: String?
    let tls: PostgresClient.Configuration.TLS
    let connectionTLS: PostgresConnection.Configuration.TLS

    init(_ text: String) throws {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""),
              let host = url.host, !host.isEmpty, let user = url.user, !user.isEmpty else {
            throw PostgresStoreError("store must look like postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        self.host = host
        port = url.port ?? 5432
        username = user.removingPercentEncoding ?? user
        password = url.password.map { $0.removingPercentEncoding ?? $0 }
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        database = path.isEmpty ? nil : path
        switch url.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer" {
        case "disable":
            (tls, connectionTLS) = (.disable, .disable)
        case "prefer":
            (tls, connectionTLS) = (.prefer(.makeClientConfiguration()), .prefer(try NIOSSLContext(configuration: .makeClientConfiguration())))
        case "require":
            (tls, connectionTLS) = (.require(.makeClientConfiguration()), .require(try NIOSSLContext(configuration: .makeClientConfiguration())))
        case let other:
            throw PostgresStoreError("sslmode \(other): use disable, prefer or require")
        }
    }

    /// Server-side limits on every session, so a stuck statement, a lock held by a node that vanished
    /// mid-transaction, or a wait behind it ends on the server, not only in this process: the client-side
    /// timeout cannot stop a query already sent.
    static func sessionLimits(statementTimeout: Duration) -> [(String, String)] {
        let milliseconds = statementTimeout.components.seconds * 1000 + statementTimeout.components.attoseconds / 1_000_000_000_000_000
        return [
            ("statement_timeout", "\(milliseconds)"),
            ("lock_timeout", "\(max(1, milliseconds / 2))"),
            ("idle_in_transaction_session_timeout", "\(milliseconds * 3)"),
        ]
    }

    func clientConfiguration(statementTimeout: Duration) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.additionalStartupParameters = Self.sessionLimits(statementTimeout: statementTimeout)
        return configuration
    }

    var connectionConfiguration: PostgresConnection.Configuration {
        PostgresConnection.Configuration(host: host, port: port, username: username, password: password, database: database, tls: connectionTLS)
    }
}

/// A `store` setting that is not a usable PostgreSQL URL, or a database that cannot be reached.
public struct PostgresStoreError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
