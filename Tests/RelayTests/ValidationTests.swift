import Foundation
import WallClock
import Testing
@testable import Relay

@Suite("Event validation and channel state")
struct ValidationTests {
    static func object(_ fields: [String: JSONValue]) -> JSONValue { .object(fields) }

    static let started = EventDraft(type: .sittingStarted, data: object([
        "title": .string("การประชุมวุฒิสภา"), "chamber": .string("senate"), "number": .int(12), "scheduledAt": .string("2026-11-23T02:30:00Z"),
    ]))
    static let agenda = EventDraft(type: .agendaSet, data: object(["items": .array([
        object(["id": .string("i1"), "number": .string("1"), "title": .string("เรื่องที่ประธานแจ้ง")]),
        object(["id": .string("i2"), "number": .string("2"), "title": .string("ร่างพระราชบัญญัติ"), "billId": .string("bill-1")]),
    ])]))

    /// Validates and applies drafts in order, as the relay does.
    static func run(_ drafts: [EventDraft], on state: inout ChannelState) throws {
        for (index, draft) in drafts.enumerated() {
            try state.validate(draft)
            state.apply(try Event(seq: Int64(index + 1), id: "e\(index)", channel: "senate", sitting: state.sitting?.id, type: draft.type, at: Date(timeIntervalSince1970: 1_795_400_000), data: draft.data))
        }
    }

    func code(_ draft: EventDraft, on state: ChannelState) -> (RelayError.Kind, String, String?)? {
        do { try state.validate(draft); return nil } catch let error as RelayError { return (error.kind, error.code, error.field) } catch { return nil }
    }

    @Test("missing fields and wrong types are invalid, with the field named")
    func schema() {
        let state = ChannelState()
        #expect(code(EventDraft(type: .speakerChanged, data: Self.object([:])), on: state)! == (.invalid, "missing_field", "data.name"))
        #expect(code(EventDraft(type: .notice, data: Self.object(["text": .int(3)])), on: state)! == (.invalid, "wrong_type", "data.text"))
        #expect(code(EventDraft(type: .notice, data: .array([])), on: state)! == (.invalid, "wrong_type", "data"))
        let badLine = EventDraft(type: .transcriptLine, data: Self.object([
            "lineId": .string("l1"), "text": .string("สวัสดี"), "lang": .string("th"),
            "start": .string("2026-11-23T02:30:05Z"), "end": .string("2026-11-23T02:30:01Z"), "final": .bool(true),
        ]))
        #expect(code(badLine, on: state)! == (.invalid, "invalid_value", "data.end"))
    }

    @Test("a vote moves opened → tally → closed; tallies for other votes are conflicts")
    func voteLifecycle() throws {
        var state = ChannelState()
        try Self.run([Self.started, Self.agenda], on: &state)
        let tally = EventDraft(type: .voteTally, data: Self.object(["voteId": .string("v1"), "yes": .int(3), "no": .int(1), "abstain": .int(0), "notVoting": .int(0)]))
        #expect(code(tally, on: state)! == (.conflict, "vote_not_open", "data.voteId"))
        try Self.run([EventDraft(type: .voteOpened, data: Self.object(["voteId": .string("v1"), "itemId": .string("i2"), "motion": .string("รับหลักการ")])), tally], on: &state)
        #expect(state.openVote?.count.yes == 3)
        let second = EventDraft(type: .voteOpened, data: Self.object(["voteId": .string("v2"), "motion": .string("m")]))
        #expect(code(second, on: state)! == (.conflict, "vote_open", "data.voteId"))
        let closed = EventDraft(type: .voteClosed, data: Self.object([
            "voteId": .string("v1"), "result": .string("passed"), "yes": .int(3), "no": .int(1), "abstain": .int(0), "notVoting": .int(0),
            "records": .array([Self.object(["name": .string("นายสมชาย"), "vote": .string("yes"), "memberId": .string("sen-1")])]),
        ]))
        try Self.run([closed], on: &state)
        #expect(state.openVote == nil)
        #expect(state.lastVote?.result == .passed && state.lastVote?.motion == "รับหลักการ")
    }

    @Test("agenda items must exist; a sitting cannot start twice; sitting ids are per Bangkok day")
    func agendaAndSitting() throws {
        var state = ChannelState()
        #expect(code(EventDraft(type: .sittingEnded, data: Self.object([:])), on: state)! == (.conflict, "no_sitting", nil))
        try Self.run([Self.started, Self.agenda], on: &state)
        #expect(state.sitting?.id == "20261123-senate-1")
        #expect(code(Self.started, on: state)! == (.conflict, "sitting_open", nil))
        #expect(code(EventDraft(type: .agendaItem, data: Self.object(["itemId": .string("i9")])), on: state)! == (.conflict, "unknown_item", "data.itemId"))
        try Self.run([EventDraft(type: .agendaItem, data: Self.object(["itemId": .string("i2")]))], on: &state)
        #expect(state.currentItem == "i2")
        try Self.run([EventDraft(type: .sittingEnded, data: Self.object([:]))], on: &state)
        #expect(state.nextSittingId(channel: "senate", at: Date(timeIntervalSince1970: 1_795_400_000)).id == "20261123-senate-2")
    }

    @Test("a scripted sitting turns offsets into wall-clock times and keeps ids unique per round")
    func script() throws {
        let script = try SittingScript(text: """
            # comment
            {"id":"d1","offset":2.5,"type":"transcript.line","data":{"lineId":"l1","text":"งบประมาณ","lang":"th","startOffset":1,"endOffset":2.5,"final":true}}
            {"id":"d0","offset":0,"type":"notice","data":{"text":"เริ่ม"}}
            """)
        #expect(script.lines.map(\.id) == ["d0", "d1"])
        let start = Date(timeIntervalSince1970: 1_795_400_000)
        let draft = SittingScript.draft(script.lines[1], start: start, round: 7)
        #expect(draft.id == "d1-r7")
        #expect(draft.at == start.addingTimeInterval(2.5))
        #expect(draft.data["start"] == .string(ISO8601.format(start.addingTimeInterval(1))))
        #expect(draft.data["startOffset"] == nil)
        #expect(throws: RelayError.self) { try SittingScript(text: "not json") }
    }
}

@Suite("Recent events in memory")
struct RecentEventsTests {
    static func encoded(_ seq: Int64) throws -> EncodedEvent {
        try EncodedEvent(Event(seq: seq, id: "e\(seq)", channel: "senate", sitting: nil, type: .notice, at: Date(timeIntervalSince1970: 1_795_400_000), data: .object(["text": "n"])))
    }

    @Test("answers a replay only when it holds everything after the requested seq; keeps the newest `capacity`")
    func coverage() throws {
        let recent = RecentEvents(capacity: 5)
        recent.append(try (1...8).map(Self.encoded), channel: "senate")
        #expect(recent.after(3, through: 8, channel: "senate", limit: 10)?.map(\.seq) == [4, 5, 6, 7, 8])
        #expect(recent.after(5, through: 8, channel: "senate", limit: 2)?.map(\.seq) == [6, 7])
        #expect(recent.after(2, through: 8, channel: "senate", limit: 10) == nil, "seq 3 is no longer held: the log must answer")
        #expect(recent.after(8, through: 8, channel: "senate", limit: 10)?.isEmpty == true)
        #expect(recent.after(6, through: 9, channel: "senate", limit: 10) == nil, "behind the head: not trusted")
        #expect(recent.after(0, through: 0, channel: "parliament", limit: 10)?.isEmpty == true)
        recent.append(try [Self.encoded(7), Self.encoded(9)], channel: "senate")
        #expect(recent.after(7, through: 9, channel: "senate", limit: 10)?.map(\.seq) == [8, 9], "no duplicates")
        // A jump ahead (the node skipped part of a shared log) starts anew instead of hiding the hole.
        recent.append(try [Self.encoded(20), Self.encoded(21)], channel: "senate")
        #expect(recent.after(9, through: 21, channel: "senate", limit: 10) == nil)
        #expect(recent.after(19, through: 21, channel: "senate", limit: 10)?.map(\.seq) == [20, 21])
    }

    @Test("the bytes held are bounded too")
    func bytes() throws {
        let one = try Self.encoded(1)
        let size = one.json.readableBytes + one.webSocketText.readableBytes + one.serverSentEvent.readableBytes
        let recent = RecentEvents(capacity: 100, maxBytes: size * 3 + 20)  // seqs of two digits are a few bytes longer
        recent.append(try (1...10).map(Self.encoded), channel: "senate")
        #expect(recent.after(7, through: 10, channel: "senate", limit: 10)?.map(\.seq) == [8, 9, 10])
        #expect(recent.after(6, through: 10, channel: "senate", limit: 10) == nil)
    }
}
