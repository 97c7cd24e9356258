import Metrics
import Synchronization

/// The relay's metrics: subscribers, events in and out, slow subscribers dropped, publish latency.
public final class RelayMetrics: Sendable {
    public static let shared = RelayMetrics()

    private let subscriberCount = Atomic<Int>(0)
    private let subscribers = Gauge(label: "senate_live_subscribers")
    private let eventsIn = Counter(label: "senate_live_events_published_total")
    private let eventsOut = Counter(label: "senate_live_events_delivered_total")
    private let drops = Counter(label: "senate_live_slow_subscribers_dropped_total")
    private let publishLatency = Timer(label: "senate_live_publish_seconds", preferredDisplayUnit: .seconds)

    func subscriberJoined() { subscribers.record(subscriberCount.add(1, ordering: .relaxed).newValue) }
    func subscriberLeft() { subscribers.record(subscriberCount.subtract(1, ordering: .relaxed).newValue) }
    public func published(_ count: Int, nanoseconds: Int64) {
        eventsIn.increment(by: count)
        publishLatency.recordNanoseconds(nanoseconds)
    }
    func delivered(_ count: Int = 1) { eventsOut.increment(by: count) }
    func slowSubscriberDropped() { drops.increment() }
}
