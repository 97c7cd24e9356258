import Foundation
import WallClock
import Logging

/// Accepts events for its channels: validates them against each channel's state, numbers them, stores them
/// durably, then hands them to the hub. Publishes run one at a time (seq has no gaps, a batch is atomic).
public actor Relay {
    public nonisolated let hub: Hub
    public nonisolated let channels: Set<String>
    private let log: any EventLog
    private var heads: [String: (seq: Int64, state: ChannelState)] = [:]
    private let publishing = AsyncLock()

    public init(log: any EventLog, hub: Hub, channels: [String]) {
        self.log = log
        self.hub = hub
        self.channels = Set(channels)
    }

    /// Loads each channel's last seq and state from the log.
    public func start() async throws {
        for channel in channels { heads[channel] = try await log.head(channel: channel) }
    }

    /// The current seq and state of a channel.
    public func head(channel: String) throws -> (seq: Int64, state: ChannelState) {
        guard let head = heads[channel] else { throw RelayError(.notFound, code: "not_found", "no channel \(channel)") }
        return head
    }

    /// Stores `drafts` as one atomic batch and returns the stored events. A draft whose `id` was stored
    /// before returns that first event instead of a new one. Any invalid draft rejects the whole batch.
    public func publish(channel: String, drafts: [EventDraft], isBatch: Bool, now: Date = Date()) async throws -> [Event] {
        try await publishing.withLock { try await publishLocked(channel: channel, drafts: drafts, isBatch: isBatch, now: now) }
    }

    private func publishLocked(channel: String, drafts: [EventDraft], isBatch: Bool, now: Date) async throws -> [Event] {
        var (seq, state) = try head(channel: channel)
        var result: [Event] = [], fresh: [Event] = []
        var byId: [String: Event] = [:]
        for (index, draft) in drafts.enumerated() {
            if let id = draft.id {
                var earlier = byId[id]
                if earlier == nil { earlier = try await log.event(channel: channel, id: id) }
                if let earlier {
                    result.append(earlier)
                    continue
                }
            }
            do { try state.validate(draft) } catch let error as RelayError { throw error.inBatch(isBatch ? index : nil) }
            seq += 1
            let at = ISO8601.millisecond(draft.at ?? now)
            let sitting: String? = draft.type == .sittingStarted
                ? state.nextSittingId(channel: channel, at: at).id
                : (state.sitting?.status == .ended ? nil : state.sitting?.id)
            var event = Event(seq: seq, id: draft.id ?? UUID().uuidString.lowercased(), channel: channel, sitting: sitting, type: draft.type, at: at, data: draft.data)
            event.subject = state.subject(of: event)
            state.apply(event)
            fresh.append(event)
            result.append(event)
            byId[event.id] = event
        }
        guard !fresh.isEmpty else { return result }
        // Encoded before the write: nothing can fail between "stored" and "sent to subscribers".
        let encoded = try fresh.map(EncodedEvent.init)
        do { try await log.append(fresh, state: state) } catch {
            throw RelayError(.unavailable, code: "store_unavailable", "the event log refused the write: \(error)")
        }
        heads[channel] = (seq, state)
        hub.publish(encoded, channel: channel)
        return result
    }

    /// Events after `seq`, for replay, with the oldest seq the log still keeps.
    public func history(channel: String, after seq: Int64, limit: Int) async throws -> (events: [Event], oldest: Int64?) {
        _ = try head(channel: channel)
        let events = try await log.events(channel: channel, after: seq, limit: limit)
        return (events, try await log.oldestSeq(channel: channel))
    }
}
