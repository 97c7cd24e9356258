import AsyncHTTPClient
import Foundation

/// One HTTP client per checked (host, address): the connection goes to the address `OutboundPolicy`
/// approved, while TLS and the `Host` header keep the host name (async-http-client's `dnsOverride`).
/// Clients unused for five minutes are shut down.
actor PinnedClients {
    /// Seconds to wait for an answer; connections kept per host.
    private let timeout: Double
    private let connectionsPerHost: Int
    private var clients: [String: (client: HTTPClient, used: ContinuousClock.Instant)] = [:]

    init(timeout: Double, connectionsPerHost: Int) {
        self.timeout = timeout
        self.connectionsPerHost = connectionsPerHost
    }

    func client(for target: OutboundTarget) -> HTTPClient {
        let key = "\(target.url.host)|\(target.address)"
        if let existing = clients[key] {
            clients[key]?.used = .now
            return existing.client
        }
        var configuration = HTTPClient.Configuration()
        // Redirects are not followed: a receiver could otherwise send the request on to a host the policy
        // refuses. A 3xx counts as a failed attempt.
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .milliseconds(Int64(timeout * 1000)))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, connectionsPerHost))
        if IPAddress(target.url.host) == nil { configuration.dnsOverride = [target.url.host: target.address.description] }
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        clients[key] = (client, .now)
        return client
    }

    /// Shuts down the clients nobody used for five minutes.
    func closeIdle() async {
        let cutoff = ContinuousClock.now - .seconds(300)
        for (key, entry) in clients where entry.used < cutoff {
            clients[key] = nil
            try? await entry.client.shutdown()
        }
    }

    func shutdown() async {
        for entry in clients.values { try? await entry.client.shutdown() }
        clients = [:]
    }
}
