import NIOCore
import Relay

/// Puts a hub subscription in front of a queue: each delivered event becomes one queue element.
final class FeedSubscriber<Element: Sendable>: HubSubscriber {
    let queue: BoundedQueue<Element>
    private let wrap: @Sendable (EncodedEvent) -> Element

    init(queue: BoundedQueue<Element>, wrap: @escaping @Sendable (EncodedEvent) -> Element) {
        self.queue = queue
        self.wrap = wrap
    }

    func deliver(_ event: EncodedEvent) -> Bool {
        let accepted = queue.offer(wrap(event))
        if !accepted { RelayMetrics.shared.slowSubscriberDropped() }
        return accepted
    }

    func severed() { queue.abandon() }
}

/// Bringing a subscriber up to date. The subscriber is registered with the hub *before* this runs, so
/// every event is either in what is replayed here or in the subscriber's queue (or both: the caller skips
/// seqs it already sent). Nothing falls in between.
enum CatchUp {
    enum Item {
        case snapshot(seq: Int64, state: ChannelState.Snapshot)
        /// Events `from…to` are no longer kept: before the oldest kept one a snapshot follows; inside the
        /// history (quarantined events) the replay goes on.
        case gap(from: Int64, to: Int64)
        case event(EncodedEvent)
    }

    /// Delivers what a subscriber that has seen up to `since` (nil: nothing) needs, a page at a time (so a
    /// subscriber writes a page and flushes once); returns the last seq sent.
    static func run(relay: Relay, channel: String, since: Int64?, deliver: ([Item]) async throws -> Void) async throws -> Int64 {
        var head = try await relay.head(channel: channel)
        if let since, since > head.seq, relay.isShared {
            // Several nodes: the client saw events on another node that this one has not taken yet.
            try await relay.catchUp(channel: channel)
            head = try await relay.head(channel: channel)
        }
        guard let since, since >= 0, since <= head.seq else {
            try await deliver([.snapshot(seq: head.seq, state: head.state.snapshot)])
            return head.seq
        }
        var cursor = since
        while cursor < head.seq {
            let page = try await relay.replay(channel: channel, after: cursor, limit: 500)
            if let oldest = page.oldest, cursor + 1 < oldest {
                try await deliver([.gap(from: cursor + 1, to: oldest - 1), .snapshot(seq: head.seq, state: head.state.snapshot)])
                return head.seq
            }
            guard let first = page.events.first, first.seq <= head.seq else { break }
            var items: [Item] = []
            for event in page.events where event.seq <= head.seq {
                // A hole inside the kept history: events that could not be read were quarantined. Said, not
                // skipped silently; the replay goes on after it.
                if event.seq > cursor + 1 { items.append(.gap(from: cursor + 1, to: event.seq - 1)) }
                items.append(.event(event))
                cursor = event.seq
            }
            try await deliver(items)
        }
        return cursor
    }
}
