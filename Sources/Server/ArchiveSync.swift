import Archive
import Foundation
import Logging
import Relay
import WallClock

/// Feeds the archive catalog from the event log: what each event changes, and the archive of a sitting
/// once it ends.
enum ArchiveSync {
    /// A follower of `channel` that applies its events to the catalog.
    static func follower(channel: String, relay: Relay, catalog: Catalog, archiver: SittingArchiver, logger: Logger) -> LogFollower {
        LogFollower(channel: channel, relay: relay, name: "the archive catalog", store: "archive_catalog", logger: logger) {
            try await catalog.cursor(channel: channel)
        } consume: { events, last in
            try await catalog.apply(events.compactMap(change), channel: channel, through: last)
            for event in events where event.type == .sittingEnded {
                if let sitting = event.sitting { await archiver.sittingEnded(sitting) }
            }
        } quarantine: { event, reason in
            try await catalog.quarantine(channel: channel, seq: event.seq, type: event.type.rawValue, reason: reason)
        }
    }

    /// What an event changes in the catalog; nil for events the archive does not keep (speaker, notice).
    static func change(_ event: Event) -> SittingChange? {
        guard let sitting = event.sitting else { return nil }
        let data = event.data
        func int(_ key: String) -> Int { data[key]?.int.map(Int.init) ?? 0 }
        switch event.type {
        case .sittingStarted:
            return .started(
                sitting: sitting, title: data["title"]?.string ?? sitting, chamber: data["chamber"]?.string,
                number: data["number"]?.int.map(Int.init), scheduledAt: data["scheduledAt"]?.string.flatMap(ISO8601.parse), at: event.at
            )
        case .sittingSuspended: return .status(sitting: sitting, .suspended, at: event.at)
        case .sittingResumed: return .status(sitting: sitting, .live, at: event.at)
        case .sittingEnded: return .status(sitting: sitting, .ended, at: event.at)
        case .agendaSet:
            let items = (data["items"]?.array ?? []).compactMap { item -> AgendaEntry? in
                guard let id = item["id"]?.string else { return nil }
                return AgendaEntry(id: id, number: item["number"]?.string ?? "", title: item["title"]?.string ?? "", billId: item["billId"]?.string)
            }
            return .agenda(sitting: sitting, items: items)
        case .agendaItem:
            return data["itemId"]?.string.map { .currentItem(sitting: sitting, itemId: $0, at: event.at) }
        case .voteOpened:
            guard let vote = data["voteId"]?.string else { return nil }
            return .voteOpened(sitting: sitting, voteId: vote, itemId: data["itemId"]?.string, motion: data["motion"]?.string ?? "", at: event.at)
        case .voteTally:
            guard let vote = data["voteId"]?.string else { return nil }
            return .voteCounted(sitting: sitting, voteId: vote, yes: int("yes"), no: int("no"), abstain: int("abstain"), notVoting: int("notVoting"))
        case .voteClosed:
            guard let vote = data["voteId"]?.string else { return nil }
            let records = (data["records"]?.array ?? []).compactMap { record -> MemberVote? in
                guard let name = record["name"]?.string, let choice = record["vote"]?.string else { return nil }
                return MemberVote(name: name, memberId: record["memberId"]?.string, vote: choice)
            }
            return .voteClosed(
                sitting: sitting, voteId: vote, result: data["result"]?.string ?? "", records: records, at: event.at,
                yes: int("yes"), no: int("no"), abstain: int("abstain"), notVoting: int("notVoting")
            )
        case .transcriptLine:
            guard let line = data["lineId"]?.string, let start = data["start"]?.string.flatMap(ISO8601.parse),
                  let end = data["end"]?.string.flatMap(ISO8601.parse) else { return nil }
            return .line(sitting: sitting, TranscriptEntry(
                id: line, text: data["text"]?.string ?? "", speaker: data["speaker"]?.string, lang: data["lang"]?.string ?? "th",
                start: start, end: end, final: data["final"]?.bool ?? true
            ))
        case .speakerChanged, .notice:
            return nil
        }
    }
}
