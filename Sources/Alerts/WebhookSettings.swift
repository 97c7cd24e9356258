import Foundation

/// How webhooks are delivered (`webhooks.*` in the configuration).
public struct WebhookSettings: Sendable, Equatable {
    /// Hosts webhook URLs may point to, whatever addresses they resolve to (receivers inside the
    /// server's own network); empty allows any host that resolves only to public addresses.
    public var allowHosts: [String] = []
    /// Let webhooks reach private, loopback and link-local addresses of any host.
    public var allowPrivate = false
    /// Seconds before the first retry; doubles each time up to `retryCap` (with 50–100 % jitter).
    public var retryBase = 1.0
    public var retryCap = 300.0
    /// Seconds after its event a delivery is given up.
    public var retryFor = 86_400.0
    /// Failed attempts in a row that disable an endpoint.
    public var maxFailures = 20
    /// Deliveries in flight per endpoint.
    public var concurrency = 4
    /// Seconds to wait for a receiver's answer.
    public var timeout = 10.0
    /// Days the record of finished (delivered or given-up) deliveries is kept.
    public var keepDays = 7.0

    public init() {}

    public var retryPolicy: RetryPolicy { RetryPolicy(base: retryBase, cap: retryCap, giveUpAfter: retryFor) }

    /// Where webhook URLs may lead.
    public var policy: OutboundPolicy { OutboundPolicy(allowHosts: allowHosts, allowPrivate: allowPrivate) }
}
