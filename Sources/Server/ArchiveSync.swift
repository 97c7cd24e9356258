import Archive
import Foundation
import Logging
import Relay
import WallClock

/// Feeds one channel's catalog from the event log. The hub only wakes it; the events themselves are read
/// from the log after the catalog's cursor, so neither a full queue nor a crash can make it miss one.
final class ArchiveSync: HubSubscriber {
    let channel: String
    private let relay: Relay
    private let catalog: Catalog
    private let archiver: SittingArchiver
    private let logger: Logger
    private let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))

    init(channel: String, relay: Relay, catalog: Catalog, archiver: SittingArchiver, logger: Logger) {
        self.channel = channel
        self.relay = relay
        self.catalog = catalog
        self.archiver = archiver
        self.logger = logger
    }

    func deliver(_ event: EncodedEvent) -> Bool {
        wake.yield()
        return true
    }

    func stop() { wake.finish() }

    /// Makes the feed look at the log again (a periodic retry after a failed update).
    func poke() { wake.yield() }

    /// Follows new events until `stop()`.
    func run() async {
        repeat {
            await catchUp()
        } while await wakeups.first(where: { _ in true }) != nil
    }

    /// Applies every event the catalog does not hold yet.
    func catchUp() async {
        do {
            while try await applyNextPage() {}
        } catch {
            logger.error("archive catalog update failed; retrying at the next event", metadata: ["channel": "\(channel)", "error": "\(error)"])
        }
    }

    /// Applies up to one page of events; returns whether there may be more.
    private func applyNextPage() async throws -> Bool {
        let cursor = try await catalog.cursor(channel: channel)
        let page = try await relay.history(channel: channel, after: cursor, limit: 500)
        guard let last = page.events.last else { return false }
        if let first = page.events.first, first.seq > cursor + 1 {
            logger.warning("the event log no longer holds events the archive has not seen", metadata: [
                "channel": "\(channel)", "from": "\(cursor + 1)", "to": "\(first.seq - 1)",
            ])
        }
        try await catalog.apply(page.events.compactMap(Self.change), channel: channel, through: last.seq)
        for event in page.events where event.type == .sittingEnded {
            if let sitting = event.sitting { await archiver.sittingEnded(sitting) }
        }
        return page.events.count == 500
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
