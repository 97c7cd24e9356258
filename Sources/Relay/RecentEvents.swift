import Synchronization

/// The newest events of each channel, already encoded, in memory. A reconnect storm (every page of a few
/// hundred viewers resuming at once after a restart) then replays from here: no database read, no JSON
/// decode and encode per event per subscriber, the same bytes for every subscriber.
public final class RecentEvents: Sendable {
    /// Most events kept per channel (0: none).
    public let capacity: Int
    /// Most bytes kept per channel (the three encodings of each event), whatever `capacity` says.
    public let maxBytes: Int
    private struct Ring {
        var events: [EncodedEvent] = []
        var bytes = 0
    }
    private let rings = Mutex<[String: Ring]>([:])

    public init(capacity: Int, maxBytes: Int = 64 << 20) {
        self.capacity = max(0, capacity)
        self.maxBytes = maxBytes
    }

    /// Adds events newer than what is held (in seq order), dropping the oldest beyond `capacity` or
    /// `maxBytes`. Events that do not follow on from what is held (the node skipped ahead in a shared log)
    /// start the ring anew: it must never claim to hold a span it lost part of. Holes inside one call (rows
    /// quarantined in the log) are kept as they are.
    public func append(_ events: [EncodedEvent], channel: String) {
        guard capacity > 0 else { return }
        rings.withLock { rings in
            var ring = rings[channel] ?? Ring()
            let fresh = events.filter { $0.seq > ring.events.last?.seq ?? .min }
            guard let first = fresh.first else { return }
            if let newest = ring.events.last?.seq, first.seq != newest + 1 { ring = Ring() }
            ring.events.append(contentsOf: fresh)
            ring.bytes += fresh.reduce(0) { $0 + Self.size($1) }
            var drop = max(0, ring.events.count - capacity)
            var dropped = ring.events[..<drop].reduce(0) { $0 + Self.size($1) }
            while ring.bytes - dropped > maxBytes, drop < ring.events.count - 1 {
                dropped += Self.size(ring.events[drop])
                drop += 1
            }
            if drop > 0 {
                ring.events.removeFirst(drop)
                ring.bytes -= dropped
            }
            rings[channel] = ring
        }
    }

    private static func size(_ event: EncodedEvent) -> Int {
        event.json.readableBytes + event.webSocketText.readableBytes + event.serverSentEvent.readableBytes
    }

    /// The events after `seq` (at most `limit`) when this holds every stored event from `seq + 1` on; nil
    /// when it cannot tell (the next one is older than what it holds): then the log must be read.
    /// `through` is the channel's head: a subscriber at the head gets an empty page.
    public func after(_ seq: Int64, through head: Int64, channel: String, limit: Int) -> [EncodedEvent]? {
        rings.withLock { rings in
            guard let ring = rings[channel]?.events, let first = ring.first, let last = ring.last, first.seq <= seq + 1, last.seq >= head else {
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
