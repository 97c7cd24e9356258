import Logging
import Metrics

/// Rows that a reader of the event log cannot use are set aside, never retried for ever: each is logged
/// and counted in `senate_live_quarantined_events_total{store}` (the event log itself, the archive
/// catalog, the webhook outbox), and kept in that store's quarantine table for an operator to inspect.
public enum Quarantine {
    /// Logs and counts one quarantined event of `channel`.
    public static func record(store: String, channel: String, seq: Int64, reason: String, logger: Logger) {
        Counter(label: "senate_live_quarantined_events_total", dimensions: [("store", store)]).increment()
        logger.error("quarantined an event that cannot be used; the rest of the log flows on", metadata: [
            "store": "\(store)", "channel": "\(channel)", "seq": "\(seq)", "reason": "\(reason)",
        ])
    }
}
