import Foundation
import WallClock
import Logging
import Storage

/// Accepts events for its channels: validates them against each channel's state, numbers them, stores them
/// durably, then hands them to the hub. Publishes run one at a time (seq has no gaps, a batch is atomic).
public actor Relay {
    public nonisolated let hub: Hub
    public nonisolated let channels: Set<String>
    /// The newest events of each channel, encoded, for replays.
    public nonisolated let recent: RecentEvents
    private let log: any EventLog
    private var heads: [String: (seq: Int64, state: ChannelState)] = [:]
    private let publishing = AsyncLock()
    /// Shared log: one catch-up at a time, so events reach the hub once and in order.
    private let feeding = AsyncLock()
    /// History reads (replays after a reconnect, HTTP history, followers) in flight at once; the rest wait
    /// their turn in order. A reconnect storm is then a queue the store works through, not a pile-up of
    /// hundreds of concurrent queries.
    private let reads = AsyncLock(permits: 8)
    private let logger: Logger

    public init(log: any EventLog, hub: Hub, channels: [String], recentEvents: Int = 4096, logger: Logger = Logger(label: "senate-live.relay")) {
        self.log = log
        self.hub = hub
        recent = RecentEvents(capacity: recentEvents)
        self.channels = Set(channels)
        self.logger = logger
    }

    /// Whether several nodes share the log (their events arrive through `followSharedLog`).
    public nonisolated var isShared: Bool { log is any SharedEventLog }

    /// Loads each channel's last seq and state from the log, and its newest events into `recent`, so the
    /// reconnects that follow a restart replay from memory.
    public func start() async throws {
        for channel in channels {
            let head = try await log.head(channel: channel)
            heads[channel] = head
            let count = Int64(recent.capacity)
            guard count > 0, head.seq > 0 else { continue }
            let newest = try await log.events(channel: channel, after: max(0, head.seq - count), limit: Int(count))
            recent.append(try newest.map(EncodedEvent.init), channel: channel)
        }
    }

    /// The current seq and state of a channel.
    public func head(channel: String) throws -> (seq: Int64, state: ChannelState) {
        guard let head = heads[channel] else { throw RelayError(.notFound, code: "not_found", "no channel \(channel)") }
        return head
    }

    /// Stores `drafts` as one atomic batch and returns the stored events. A draft whose `id` was stored
    /// before returns that first event instead of a new one. Any invalid draft rejects the whole batch.
    public func publish(channel: String, drafts: [EventDraft], isBatch: Bool, now: Date = Date()) async throws -> [Event] {
        _ = try head(channel: channel)
        if let shared = log as? any SharedEventLog {
            // One write at a time from this node: the others would each hold a pooled connection while
            // waiting for the channel's row lock, starving reads.
            return try await publishing.withLock { try await publishShared(shared, channel: channel, drafts: drafts, isBatch: isBatch, now: now) }
        }
        return try await publishing.withLock { try await publishLocked(channel: channel, drafts: drafts, isBatch: isBatch, now: now) }
    }

    private func publishLocked(channel: String, drafts: [EventDraft], isBatch: Bool, now: Date) async throws -> [Event] {
        let log = log
        let batch = try await Batch(channel: channel, drafts: drafts, isBatch: isBatch, now: now, head: try head(channel: channel)) {
            try await log.event(channel: channel, id: $0)
        }
        guard !batch.fresh.isEmpty else { return batch.result }
        // Encoded before the write: nothing can fail between "stored" and "sent to subscribers".
        let encoded = try batch.fresh.map(EncodedEvent.init)
        do { try await log.append(batch.fresh, state: batch.state) } catch {
            throw RelayError(.unavailable, code: "store_unavailable", "the event log refused the write: \(error)")
        }
        heads[channel] = (batch.fresh.last?.seq ?? 0, batch.state)
        recent.append(encoded, channel: channel)
        hub.publish(encoded, channel: channel)
        return batch.result
    }

    /// Several nodes write: the batch is made from the head stored in the log, under the log's channel lock,
    /// and this node's subscribers get it the way every node's do, through `catchUp`.
    private func publishShared(_ shared: any SharedEventLog, channel: String, drafts: [EventDraft], isBatch: Bool, now: Date) async throws -> [Event] {
        let batch: Batch
        do {
            batch = try await shared.appendLocked(channel: channel) { seq, state, lookup in
                let batch = try await Batch(channel: channel, drafts: drafts, isBatch: isBatch, now: now, head: (seq, state), earlier: lookup)
                // Encodable, or refused before anything is stored.
                _ = try batch.fresh.map(EncodedEvent.init)
                return (batch.fresh, batch.state, batch)
            }
        } catch let error as RelayError {
            throw error
        } catch {
            throw RelayError(.unavailable, code: "store_unavailable", "the event log refused the write: \(error)")
        }
        // Stored and acknowledged even if this node cannot read the log back now: the next notification
        // or resync delivers them here too.
        do { try await catchUp(channel: channel, stored: batch.fresh) } catch {
            logger.warning("shared event log: stored events of \(channel) not yet delivered here: \(error)")
        }
        return batch.result
    }

    /// Shared log: brings this node's head of `channel` up to the log's, handing each new event to the hub
    /// in seq order. `stored` are events this node has just written: when they are the next ones they are
    /// taken as they are, without reading them back.
    public func catchUp(channel: String, stored: [Event] = []) async throws {
        guard channels.contains(channel) else { return }
        try await feeding.withLock {
            var (seq, state) = try head(channel: channel)
            var page = stored.first?.seq == seq + 1 ? stored : []
            let readBack = page.isEmpty
            while true {
                if page.isEmpty { page = try await log.events(channel: channel, after: seq, limit: 500) }
                guard let first = page.first else { return }
                if first.seq > seq + 1, let oldest = try await log.oldestSeq(channel: channel), oldest <= seq {
                    // A hole inside the kept history: events the log could not read were quarantined.
                    logger.warning("shared event log: events \(seq + 1)..<\(first.seq) of \(channel) were quarantined; going on after them")
                } else if first.seq != seq + 1 {
                    // The log no longer keeps the events after this node's head (it fell further behind than
                    // `relay.history`): start again from the stored head, and end the subscribers' streams
                    // so they resume with `since` and get `gap` + snapshot instead of silently missing events.
                    logger.error("shared event log: events \(seq + 1)..<\(first.seq) of \(channel) are no longer kept; skipping to the stored head")
                    heads[channel] = try await log.head(channel: channel)
                    hub.sever(channel: channel)
                    return
                }
                let encoded = try page.map(EncodedEvent.init)
                for event in page {
                    state.apply(event)
                    seq = event.seq
                }
                heads[channel] = (seq, state)
                recent.append(encoded, channel: channel)
                hub.publish(encoded, channel: channel)
                if !readBack { return }
                page = []
            }
        }
    }

    /// Shared log: follows the other nodes' writes until the log's change stream ends.
    public func followSharedLog() async {
        guard let shared = log as? any SharedEventLog else { return }
        for await change in shared.changes() {
            let targets: [String]
            switch change {
            case .appended(let channel, let seq):
                guard let head = heads[channel], seq > head.seq else { continue }
                targets = [channel]
            case .resync:
                targets = channels.sorted()
            }
            await catchUp(channels: targets)
        }
    }

    /// Shared log: `catchUp` for each of `targets`, logging a failure instead of throwing it (the next
    /// notification or look at the table tries again).
    public func catchUp(channels targets: [String]) async {
        for channel in targets {
            do { try await catchUp(channel: channel) } catch {
                if Task.isCancelled { return }
                logger.warning("shared event log: could not read new events of \(channel): \(error)")
            }
        }
    }

    /// The next page of a subscriber's replay after `seq`, encoded: from memory when `recent` holds it,
    /// else from the log. `oldest` is the oldest seq the log keeps when it had to be asked (nil when memory
    /// answered: then nothing after `seq` is missing).
    public func replay(channel: String, after seq: Int64, limit: Int) async throws -> (events: [EncodedEvent], oldest: Int64?) {
        let head = try head(channel: channel).seq
        if let cached = recent.after(seq, through: head, channel: channel, limit: limit) { return (cached, nil) }
        let page = try await history(channel: channel, after: seq, limit: limit)
        // An empty log keeps nothing: everything up to the head is missing.
        return (try page.events.map(EncodedEvent.init), page.oldest ?? head + 1)
    }

    /// The oldest seq the log still keeps (nil: none).
    public func oldestKept(channel: String) async throws -> Int64? {
        _ = try head(channel: channel)
        return try await read { try await self.log.oldestSeq(channel: channel) }
    }

    /// Events after `seq`, for replay, with the oldest seq the log still keeps.
    public func history(channel: String, after seq: Int64, limit: Int) async throws -> (events: [Event], oldest: Int64?) {
        _ = try head(channel: channel)
        return try await read {
            let events = try await self.log.events(channel: channel, after: seq, limit: limit)
            return (events, try await self.log.oldestSeq(channel: channel))
        }
    }

    /// A read of the log in its turn (`reads`); a store that does not answer is `store_unavailable` (503
    /// for HTTP clients, not a 500).
    private func read<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await reads.withLock { try await body() } } catch let error as RelayError {
            throw error
        } catch {
            throw RelayError(.unavailable, code: "store_unavailable", "the event log could not be read: \(error)")
        }
    }
}
