import Foundation
import WallClock
import HLS
import Logging
import Relay

/// Puts a channel's sitting onto its video: agenda items and votes become `EXT-X-DATERANGE`s, transcript
/// lines become WebVTT cues, all placed by their wall-clock `at` on the program-date-time clock.
final class LiveSync: HubSubscriber {
    private let queue = BoundedQueue<Event>(limit: 10_000)
    private let store: SegmentStore

    static let agendaClass = "th.go.senate.agenda"
    static let voteClass = "th.go.senate.vote"

    init(store: SegmentStore) {
        self.store = store
    }

    func deliver(_ event: EncodedEvent) -> Bool { queue.offer(event.event) }

    /// Applies events until the hub drops this subscriber or the task is cancelled. `recent` (the latest
    /// events from the log) rebuilds ranges and captions after a restart.
    func run(recent: [Event]) async {
        var agenda: [String: String] = [:]
        var last: Int64 = 0
        // Registered with the hub before `recent` was read: skip what both hold.
        for event in recent where event.seq > last {
            await apply(event, agenda: &agenda)
            last = event.seq
        }
        for await event in queue.stream where event.seq > last {
            await apply(event, agenda: &agenda)
            last = event.seq
        }
    }

    func stop() { queue.finish() }

    private func apply(_ event: Event, agenda: inout [String: String]) async {
        let data = event.data
        switch event.type {
        case .agendaSet:
            agenda = Dictionary(data["items"]?.array?.compactMap { item in item["id"]?.string.map { ($0, item["title"]?.string ?? "") } } ?? [], uniquingKeysWith: { $1 })
        case .agendaItem:
            await closeAgendaItem(at: event.at)
            guard let item = data["itemId"]?.string else { return }
            var attributes: [(name: String, value: String)] = [("X-ITEM-ID", item), ("X-SEQ", "\(event.seq)")]
            if let title = agenda[item] { attributes.append(("X-TITLE", title)) }
            if let sitting = event.sitting { attributes.append(("X-SITTING", sitting)) }
            await store.upsertDateRange(DateRange(id: "agenda-\(event.seq)", classId: Self.agendaClass, start: event.at, attributes: attributes))
        case .sittingEnded:
            await closeAgendaItem(at: event.at)
        case .voteOpened:
            guard let vote = data["voteId"]?.string else { return }
            await store.upsertDateRange(DateRange(id: "vote-\(vote)", classId: Self.voteClass, start: event.at, attributes: [
                ("X-VOTE-ID", vote), ("X-MOTION", data["motion"]?.string ?? ""), ("X-SEQ", "\(event.seq)"),
            ]))
        case .voteClosed:
            guard let vote = data["voteId"]?.string, var range = await store.openDateRange(classId: Self.voteClass), range.id == "vote-\(vote)" else { return }
            range.end = max(event.at, range.start)
            range.attributes.append(("X-RESULT", data["result"]?.string ?? ""))
            await store.upsertDateRange(range)
        case .transcriptLine:
            guard let line = data["lineId"]?.string, let start = data["start"]?.string.flatMap(ISO8601.parse),
                  let end = data["end"]?.string.flatMap(ISO8601.parse), let text = data["text"]?.string else { return }
            await store.upsertCue(Cue(id: line, start: start, end: end, text: text, speaker: data["speaker"]?.string))
        default:
            break
        }
    }

    private func closeAgendaItem(at date: Date) async {
        guard var open = await store.openDateRange(classId: Self.agendaClass) else { return }
        open.end = max(date, open.start)
        await store.upsertDateRange(open)
    }
}
