import Foundation

/// How Web Push alerts are taken and sent (`alerts.push.*` in the configuration).
public struct PushSettings: Sendable, Equatable {
    /// Take subscriptions and send alerts. Off: `GET /api/v1/push/key` answers 503 and nothing is queued.
    public var enabled = true
    /// The VAPID private key (32 bytes, base64url). Empty: one is made at the first start and kept in the
    /// data directory, so subscriptions stay valid across restarts.
    public var vapidPrivateKey = ""
    /// Who runs the server, for push services to reach (`mailto:` or `https:` URL, RFC 8292 §2.1).
    public var subject = "mailto:senate-live@localhost"
    /// Push service hosts that may be reached whatever they resolve to; an entry starting with `.` takes
    /// every host under it (`.notify.windows.com`). Empty: any host on public addresses.
    public var allowHosts: [String] = []
    /// Let subscriptions point at private and loopback addresses, over plain http too (tests, closed networks).
    public var allowPrivate = false
    /// Seconds a push service keeps an undelivered alert (`TTL`); also how long the server retries it.
    public var ttl = 3600.0
    /// Requests in flight to push services at once.
    public var concurrency = 64
    /// HTTP/1.1 connections per push service host (HTTP/2 multiplexes on one).
    public var connectionsPerHost = 32
    /// Seconds to wait for a push service's answer.
    public var timeout = 10.0
    /// Deliveries claimed from the outbox at a time: after a crash at most this many are sent twice (a
    /// repeat carries the same notification tag, so a device shows it once). Each batch costs two
    /// transactions synced to disk; 1,000 made the syncs a fifth of the time at 100,000 followers.
    public var batch = 5000
    /// Bills, items and tags one subscription may follow.
    public var maxFollows = 100
    /// Keywords one subscription may follow.
    public var maxKeywords = 20
    /// Subscribe and unsubscribe calls per minute from one client address.
    public var callsPerMinute = 30
    /// Changes per minute to one subscription (its endpoint).
    public var changesPerEndpointPerMinute = 6

    public init() {}

    /// Where subscription endpoints may lead (the name check is `allows(host:)`; listed hosts are trusted
    /// whatever they resolve to).
    public var policy: OutboundPolicy { OutboundPolicy(allowHosts: allowHosts.filter { !$0.hasPrefix(".") }, allowPrivate: allowPrivate) }

    /// Whether `host` (lower case) is a push service `allowHosts` lets subscriptions name.
    public func allows(host: String) -> Bool {
        allowHosts.isEmpty || allowHosts.contains { entry in
            let entry = entry.lowercased()
            return entry.hasPrefix(".") ? host.hasSuffix(entry) : host == entry
        }
    }

    /// Retries back off from 1 s up to 5 minutes, and stop when the alert's TTL is over.
    public var retryPolicy: RetryPolicy { RetryPolicy(base: 1, cap: 300, giveUpAfter: ttl) }
}
