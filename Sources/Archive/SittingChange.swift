import Foundation

/// What an event changes in the catalog. The server maps relay events onto these, so the archive
/// does not depend on the relay's types.
public enum SittingChange: Sendable, Equatable {
    case started(sitting: String, title: String, chamber: String?, number: Int?, scheduledAt: Date?, at: Date)
    case status(sitting: String, SittingSummary.Status, at: Date)
    case agenda(sitting: String, items: [AgendaEntry])
    case currentItem(sitting: String, itemId: String, at: Date)
    case voteOpened(sitting: String, voteId: String, itemId: String?, motion: String, at: Date)
    case voteCounted(sitting: String, voteId: String, yes: Int, no: Int, abstain: Int, notVoting: Int)
    case voteClosed(sitting: String, voteId: String, result: String, records: [MemberVote], at: Date, yes: Int, no: Int, abstain: Int, notVoting: Int)
    case line(sitting: String, TranscriptEntry)
}
