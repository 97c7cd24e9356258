import Synchronization

/// The newest events of each channel, already encoded, in memory. A reconnect storm (every page of a few
/// hundred viewers resuming at once after a restart) then replays from here: no database read, no JSON
/// decode and encode per event per subscriber, the same bytes for every subscriber.
public final class RecentEvents: Sendable {
    /// Most events kept per channel (0: none).
    public let capacity: Int
    private let rings = Mutex<[String: [EncodedEvent]]>([:])

    public init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// Adds events newer than what is held (in seq order), dropping the oldest beyond `capacity`.
    public func append(_ events: [EncodedEvent], channel: String) {
        guard capacity > 0, !events.isEmpty else { return }
        rings.withLock { rings in
            var ring = rings[channel] ?? []
            let newest = ring.last?.seq ?? .min
            ring.append(contentsOf: events.filter { $0.seq > newest })
            if ring.count > capacity { ring.removeFirst(ring.count - capacity) }
            rings[channel] = ring
        }
    }

    /// The events after `seq` (at most `limit`) when this holds every stored event from `seq + 1` on; nil
    /// when it cannot tell (the next one is older than what it holds): then the log must be read.
    /// `through` is the channel's head: a subscriber at the head gets an empty page.
    public func after(_ seq: Int64, through head: Int64, channel: String, limit: Int) -> [EncodedEvent]? {
        rings.withLock { rings in
            guard let ring = rings[channel], let first = ring.first, let last = ring.last, first.seq <= seq + 1, last.seq >= head else {
                return seq >= head ? [] : nil
            }
            var low = 0, high = ring.count
            while low < high {
                let middle = (low + high) / 2
                if ring[middle].seq <= seq { low = middle + 1 } else { high = middle }
            }
            return Array(ring[low..<min(ring.count, low + limit)])
        }
    }
}
