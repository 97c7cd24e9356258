import Archive
import Foundation
import Testing

@Suite("Catalog")
struct CatalogTests {
    let origin = Date(timeIntervalSince1970: 1_800_000_000)

    func catalog() async throws -> Catalog {
        try await Catalog.open(path: FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString).sqlite").path)
    }

    func line(_ id: String, _ text: String, at seconds: Double, final: Bool = true) -> SittingChange {
        .line(sitting: "s1", TranscriptEntry(id: id, text: text, lang: "th", start: origin.addingTimeInterval(seconds), end: origin.addingTimeInterval(seconds + 1), final: final))
    }

    func sitting() -> [SittingChange] {
        [
            .started(sitting: "s1", title: "การประชุม", chamber: "senate", number: 1, scheduledAt: nil, at: origin),
            .agenda(sitting: "s1", items: [AgendaEntry(id: "i1", number: "1", title: "แจ้ง"), AgendaEntry(id: "i2", number: "2", title: "ร่าง", billId: "b1")]),
            .currentItem(sitting: "s1", itemId: "i1", at: origin.addingTimeInterval(1)),
            line("l1", "ขอเปิดการ", at: 2, final: false),
            line("l1", "ขอเปิดการประชุมวุฒิสภา", at: 2),
            line("l2", "ร่างพระราชบัญญัติงบประมาณรายจ่ายประจำปี", at: 5),
            line("l3", "Budget bill", at: 8),
            .voteOpened(sitting: "s1", voteId: "v1", itemId: "i2", motion: "รับหลักการ", at: origin.addingTimeInterval(9)),
            .voteCounted(sitting: "s1", voteId: "v1", yes: 1, no: 0, abstain: 0, notVoting: 0),
            .voteClosed(sitting: "s1", voteId: "v1", result: "passed", records: [MemberVote(name: "ก", vote: "yes")], at: origin.addingTimeInterval(10), yes: 1, no: 0, abstain: 0, notVoting: 0),
            .status(sitting: "s1", .ended, at: origin.addingTimeInterval(12)),
        ]
    }

    @Test("changes build the sitting; the cursor moves with them; a final line replaces its interim text")
    func applyChanges() async throws {
        let catalog = try await catalog()
        try await catalog.apply(sitting(), channel: "senate", through: 11)
        #expect(try await catalog.cursor(channel: "senate") == 11)
        let detail = try #require(try await catalog.detail(sitting: "s1"))
        #expect(detail.sitting.status == .ended && detail.sitting.endedAt == origin.addingTimeInterval(12))
        #expect(detail.agenda.map(\.id) == ["i1", "i2"] && detail.agenda[0].startedAt == origin.addingTimeInterval(1))
        #expect(detail.transcript.map(\.text) == ["ขอเปิดการประชุมวุฒิสภา", "ร่างพระราชบัญญัติงบประมาณรายจ่ายประจำปี", "Budget bill"])
        #expect(detail.votes.first?.result == "passed" && detail.votes.first?.records.count == 1)
        #expect(try await catalog.sittings(endedBefore: origin.addingTimeInterval(13)) == ["s1"])
        #expect(try await catalog.openSittings().isEmpty)
    }

    @Test("search finds a Thai word inside a sentence, English without case, short queries by scan; offsets once archived")
    func search() async throws {
        let catalog = try await catalog()
        try await catalog.apply(sitting(), channel: "senate", through: 11)
        #expect(try await catalog.search("งบประมาณ").map(\.lineId) == ["l2"])
        #expect(try await catalog.search("budget").map(\.lineId) == ["l3"])
        #expect(try await catalog.search("ขอเปิดการ\"").isEmpty, "quotes are taken literally")
        #expect(try await catalog.search("ร่").map(\.lineId) == ["l2"], "under three characters")
        #expect(try await catalog.search("%").isEmpty)
        #expect(try await catalog.search("งบประมาณ", channel: "parliament").isEmpty)
        #expect(try await catalog.search("งบประมาณ").first?.offset == nil)

        let timeline = RecordingTimeline(segments: [RecordedSegment(msn: 0, duration: 20, programDateTime: origin.addingTimeInterval(-1), discontinuity: false, generation: 0)])
        try await catalog.recordArchive(sitting: "s1", timeline: timeline, at: origin.addingTimeInterval(13))
        #expect(try await catalog.search("งบประมาณ").first?.offset == 6)
        #expect(try await catalog.detail(sitting: "s1")?.agenda.first?.offset == 2)
        #expect(try await catalog.detail(sitting: "s1")?.sitting.duration == 20)

        try await catalog.delete(sitting: "s1")
        #expect(try await catalog.search("งบประมาณ").isEmpty)
        #expect(try await catalog.detail(sitting: "s1") == nil)
    }
}
