import Archive
import Foundation
import Logging
import Relay

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
        switch event.payload {
        case .sittingStarted(let started):
            return .started(
                sitting: sitting, title: started.title, chamber: started.chamber, number: Int(started.number),
                scheduledAt: started.scheduledDate, at: event.at
            )
        case .sittingSuspended: return .status(sitting: sitting, .suspended, at: event.at)
        case .sittingResumed: return .status(sitting: sitting, .live, at: event.at)
        case .sittingEnded: return .status(sitting: sitting, .ended, at: event.at)
        case .agendaSet(let set):
            return .agenda(sitting: sitting, items: set.items.map { AgendaEntry(id: $0.id, number: $0.number, title: $0.title, billId: $0.billId) })
        case .agendaItem(let taken):
            return .currentItem(sitting: sitting, itemId: taken.itemId, at: event.at)
        case .voteOpened(let vote):
            return .voteOpened(sitting: sitting, voteId: vote.voteId, itemId: vote.itemId, motion: vote.motion, at: event.at)
        case .voteTally(let tally):
            let count = tally.count.ints
            return .voteCounted(sitting: sitting, voteId: tally.voteId, yes: count.yes, no: count.no, abstain: count.abstain, notVoting: count.notVoting)
        case .voteClosed(let closed):
            let count = closed.count.ints
            return .voteClosed(
                sitting: sitting, voteId: closed.voteId, result: closed.result.rawValue,
                records: closed.records.map { MemberVote(name: $0.name, memberId: $0.memberId, vote: $0.vote.rawValue) }, at: event.at,
                yes: count.yes, no: count.no, abstain: count.abstain, notVoting: count.notVoting
            )
        case .transcriptLine(let line):
            return .line(sitting: sitting, TranscriptEntry(
                id: line.lineId, text: line.text, speaker: line.speaker, lang: line.lang, start: line.start, end: line.end, final: line.final
            ))
        case .speakerChanged, .notice:
            return nil
        }
    }
}

extension VoteCount {
    /// The counts as the catalog stores them.
    var ints: (yes: Int, no: Int, abstain: Int, notVoting: Int) { (Int(yes), Int(no), Int(abstain), Int(notVoting)) }
}
