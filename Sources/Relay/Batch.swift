import Foundation
import WallClock

/// What a publish of `drafts` stores, made from the channel's head: the events it returns (with earlier
/// events for ids already stored), the new ones, and the state after them. Throws the first invalid draft.
struct Batch: Sendable {
    var result: [Event] = []
    var fresh: [Event] = []
    var state: ChannelState

    init(
        channel: String, drafts: [EventDraft], isBatch: Bool, now: Date, head: (seq: Int64, state: ChannelState),
        earlier lookup: (String) async throws -> Event?
    ) async throws {
        var seq = head.seq
        state = head.state
        var byId: [String: Event] = [:]
        for (index, draft) in drafts.enumerated() {
            if let id = draft.id {
                var earlier = byId[id]
                if earlier == nil { earlier = try await lookup(id) }
                if let earlier {
                    result.append(earlier)
                    continue
                }
            }
            let payload: EventPayload
            do { payload = try state.validate(draft) } catch let error as RelayError { throw error.inBatch(isBatch ? index : nil) }
            seq += 1
            let at = ISO8601.millisecond(draft.at ?? now)
            let sitting: String? = draft.type == .sittingStarted
                ? state.nextSittingId(channel: channel, at: at).id
                : (state.sitting?.status == .ended ? nil : state.sitting?.id)
            var event = Event(seq: seq, id: draft.id ?? UUID().uuidString.lowercased(), channel: channel, sitting: sitting, at: at, data: draft.data, payload: payload)
            event.subject = state.subject(of: event)
            // Acknowledged means readable again: refuse what would not come back from the log as it is.
            guard StoredEventCoding.roundTrips(event) else {
                throw RelayError(.invalid, code: "not_storable", "the event would not read back from the log as sent").inBatch(isBatch ? index : nil)
            }
            state.apply(event)
            fresh.append(event)
            result.append(event)
            byId[event.id] = event
        }
    }
}
