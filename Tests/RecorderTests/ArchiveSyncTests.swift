import Archive
import Foundation
import Relay
import Testing
import WallClock
@testable import Recorder

/// What each typed event changes in the archive catalog (no database, no disk).
@Suite("Archive sync: events into catalog changes")
struct ArchiveSyncTests {
    static let at = Date(timeIntervalSince1970: 1_795_400_000)

    static func event(_ type: EventType, sitting: String? = "20261123-senate-1", _ data: [String: JSONValue]) throws -> Event {
        try Event(seq: 1, id: "e1", channel: "senate", sitting: sitting, type: type, at: at, data: .object(data))
    }

    @Test("a sitting's start keeps its title, chamber, number and scheduled time")
    func started() throws {
        let change = ArchiveSync.change(try Self.event(.sittingStarted, [
            "title": "การประชุมวุฒิสภา", "chamber": "senate", "number": .int(12), "scheduledAt": "2026-11-23T02:30:00Z",
        ]))
        guard case .started(let sitting, let title, let chamber, let number, let scheduledAt, let at) = change else {
            Issue.record("\(String(describing: change))")
            return
        }
        #expect(sitting == "20261123-senate-1" && title == "การประชุมวุฒิสภา" && chamber == "senate" && number == 12)
        #expect(scheduledAt != nil && scheduledAt == ISO8601.parse("2026-11-23T02:30:00Z"))
        #expect(at == Self.at)
    }

    @Test("a closed vote carries its result, counts and member records")
    func voteClosed() throws {
        let change = ArchiveSync.change(try Self.event(.voteClosed, [
            "voteId": "v1", "result": "rejected", "yes": .int(3), "no": .int(5), "abstain": .int(1), "notVoting": .int(0),
            "records": .array([.object(["name": "นายก", "vote": "no", "memberId": "m1"]), .object(["name": "นางข", "vote": "abstain"])]),
        ]))
        guard case .voteClosed(_, let vote, let result, let records, _, let yes, let no, let abstain, let notVoting) = change else {
            Issue.record("\(String(describing: change))")
            return
        }
        #expect(vote == "v1" && result == "rejected" && [yes, no, abstain, notVoting] == [3, 5, 1, 0])
        #expect(records == [MemberVote(name: "นายก", memberId: "m1", vote: "no"), MemberVote(name: "นางข", memberId: nil, vote: "abstain")])
    }

    @Test("a transcript line becomes a searchable entry with its times and language")
    func line() throws {
        let change = ArchiveSync.change(try Self.event(.transcriptLine, [
            "lineId": "l1", "text": "ขอเปิดการประชุม", "lang": "th", "final": .bool(false),
            "start": "2026-11-23T02:30:05.000Z", "end": "2026-11-23T02:30:07.500Z",
        ]))
        guard case .line(_, let entry) = change else {
            Issue.record("\(String(describing: change))")
            return
        }
        #expect(entry.id == "l1" && entry.text == "ขอเปิดการประชุม" && entry.lang == "th" && !entry.final)
        #expect(entry.end.timeIntervalSince(entry.start) == 2.5)
    }

    @Test("speaker changes, notices and events between sittings change nothing")
    func ignored() throws {
        #expect(ArchiveSync.change(try Self.event(.speakerChanged, ["name": "ประธาน"])) == nil)
        #expect(ArchiveSync.change(try Self.event(.notice, ["text": "พักการประชุม"])) == nil)
        #expect(ArchiveSync.change(try Self.event(.notice, sitting: nil, ["text": "ประกาศ"])) == nil)
        #expect(ArchiveSync.change(try Self.event(.agendaItem, sitting: nil, ["itemId": "i1"])) == nil)
    }
}
