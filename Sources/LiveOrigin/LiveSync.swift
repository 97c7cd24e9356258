import Foundation
import HLS
import Logging
import Relay

/// Puts a channel's sitting onto its video: agenda items and votes become `EXT-X-DATERANGE`s, transcript
/// lines become WebVTT cues, all placed by their wall-clock `at` on the program-date-time clock.
///
/// A durable follower of the log (`LogFollower`), like the archive catalog: it reads every event after
/// the last one it applied, so neither a full hub queue nor a severed subscription can make a date range
/// or a cue go missing. It starts from the oldest event the log keeps (a restart rebuilds the current
/// agenda item and vote, however long ago they began); captions that ended before the playlist's window
/// are skipped, as the store would forget them anyway.
actor LiveSync {
    static let agendaClass = "th.go.senate.agenda"
    static let voteClass = "th.go.senate.vote"

    private let store: SegmentStore
    /// Agenda item titles by id, from the latest `agenda.set`.
    private var titles: [String: String] = [:]
    /// The seq of the last event applied: the follower's cursor.
    private(set) var applied: Int64 = 0

    init(store: SegmentStore) {
        self.store = store
    }

    /// A follower of `channel` that applies its events to `store`.
    static func follower(channel: String, relay: Relay, store: SegmentStore, logger: Logger) -> LogFollower {
        let sync = LiveSync(store: store)
        return LogFollower(channel: channel, relay: relay, name: "live sync", store: "live_sync", logger: logger) {
            try await sync.cursor(relay: relay, channel: channel)
        } consume: { events, through in
            await sync.apply(events, through: through)
        } quarantine: { event, _ in
            // Applying never fails; this only moves the cursor past an event if it ever did.
            await sync.skip(through: event.seq)
        }
    }

    func apply(_ events: [Event], through last: Int64) async {
        let horizon = await store.liveSyncHorizon(now: Date())
        for event in events where event.seq > applied {
            await apply(event, horizon: horizon)
            applied = event.seq
        }
        applied = max(applied, last)
    }

    func skip(through seq: Int64) { applied = max(applied, seq) }

    /// The last event applied; at first, the one before the oldest the log keeps (so a trimmed log is
    /// not reported as events this follower missed).
    func cursor(relay: Relay, channel: String) async throws -> Int64 {
        if applied == 0, let oldest = try await relay.oldestKept(channel: channel) { applied = max(0, oldest - 1) }
        return applied
    }

    private func apply(_ event: Event, horizon: Date) async {
        switch event.payload {
        case .agendaSet(let set):
            titles = Dictionary(set.items.map { ($0.id, $0.title) }, uniquingKeysWith: { $1 })
        case .agendaItem(let taken):
            await closeOpenRange(Self.agendaClass, at: event.at)
            var attributes: [(name: String, value: String)] = [("X-ITEM-ID", taken.itemId), ("X-SEQ", "\(event.seq)")]
            if let title = titles[taken.itemId] { attributes.append(("X-TITLE", title)) }
            if let sitting = event.sitting { attributes.append(("X-SITTING", sitting)) }
            await store.upsertDateRange(DateRange(id: "agenda-\(event.seq)", classId: Self.agendaClass, start: event.at, attributes: attributes))
        case .sittingEnded:
            // The sitting's end closes what was open in it, as the channel state does.
            await closeOpenRange(Self.agendaClass, at: event.at)
            await closeOpenRange(Self.voteClass, at: event.at)
        case .voteOpened(let vote):
            await store.upsertDateRange(DateRange(id: "vote-\(vote.voteId)", classId: Self.voteClass, start: event.at, attributes: [
                ("X-VOTE-ID", vote.voteId), ("X-MOTION", vote.motion), ("X-SEQ", "\(event.seq)"),
            ]))
        case .voteClosed(let closed):
            guard var range = await store.openDateRange(classId: Self.voteClass), range.id == "vote-\(closed.voteId)" else { return }
            range.end = max(event.at, range.start)
            range.attributes.append(("X-RESULT", closed.result.rawValue))
            await store.upsertDateRange(range)
        case .transcriptLine(let line):
            guard line.end >= horizon else { return }
            await store.upsertCue(Cue(id: line.lineId, start: line.start, end: line.end, text: line.text, speaker: line.speaker))
        default:
            break
        }
    }

    private func closeOpenRange(_ classId: String, at date: Date) async {
        guard var open = await store.openDateRange(classId: classId) else { return }
        open.end = max(date, open.start)
        await store.upsertDateRange(open)
    }
}
