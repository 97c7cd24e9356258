import Foundation
import Relay
import Testing

@Suite("Keywords: matched inside Thai text, any case for Latin")
struct KeywordTests {
    func line(_ text: String, final: Bool = true) throws -> Event {
        try Event(seq: 1, id: "l", channel: "senate", sitting: "s", type: .transcriptLine, at: Date(), data: .object([
            "lineId": "l1", "text": .string(text), "lang": "th", "start": "2026-12-01T10:00:00Z", "end": "2026-12-01T10:00:04Z", "final": .bool(final),
        ]))
    }

    @Test("a Thai word inside a Thai sentence with no spaces; Latin in any case; full-width forms")
    func matching() {
        #expect(Keyword.firstMatch(of: ["งบประมาณ"], in: "ที่ประชุมพิจารณางบประมาณรายจ่ายประจำปี") == "งบประมาณ")
        #expect(Keyword.firstMatch(of: ["ร่างพระราชบัญญัติ"], in: "ขอเสนอร่างพระราชบัญญัติการศึกษา") != nil)
        #expect(Keyword.firstMatch(of: ["ภาษี"], in: "ที่ประชุมพิจารณางบประมาณ") == nil)
        #expect(Keyword.firstMatch(of: ["Digital Wallet"], in: "เรื่อง DIGITAL  wallet ของรัฐบาล") == "Digital Wallet")
        #expect(Keyword.firstMatch(of: ["ai"], in: "นโยบาย ＡＩ แห่งชาติ") == "ai", "full-width Latin folds to ASCII")
        #expect(Keyword.firstMatch(of: ["ภาษี", "งบ", "งบประมาณ"], in: "งบประมาณ") == "งบ", "the first that is said")
    }

    @Test("a keyword never matches half a Thai syllable: the tone mark belongs to its consonant's cluster")
    func graphemes() {
        #expect(Keyword.firstMatch(of: ["กา"], in: "ก่า") == nil)
        // These two would match code point by code point.
        #expect(Keyword.firstMatch(of: ["ก"], in: "ก่า") == nil)
        #expect(Keyword.firstMatch(of: ["ปี"], in: "เป่าปี่") == nil)
        #expect(Keyword.firstMatch(of: ["ปี่"], in: "เป่าปี่") == "ปี่")
        #expect(Keyword.firstMatch(of: ["ก่า"], in: "ราคาก่าสูง") == "ก่า")
        #expect(Keyword.firstMatch(of: ["   "], in: "อะไรก็ได้") == nil, "a blank keyword matches nothing")
    }

    @Test("a follow filter with keywords takes final transcript lines that say one, not interim ones")
    func filter() throws {
        let filter = FollowFilter(keywords: ["งบประมาณ"])
        #expect(filter.matches(try line("ที่ประชุมพิจารณางบประมาณประจำปี")))
        #expect(!filter.matches(try line("ที่ประชุมพิจารณางบประมาณประจำปี", final: false)))
        #expect(!filter.matches(try line("ที่ประชุมพิจารณาภาษี")))
        #expect(FollowFilter().matches(try line("อะไรก็ได้")), "an empty filter follows everything")
        // Filters stored before keywords existed still read.
        let old = try JSONDecoder().decode(FollowFilter.self, from: Data(#"{"billIds":["b1"],"itemIds":[],"tags":[]}"#.utf8))
        #expect(old == FollowFilter(billIds: ["b1"]))
    }
}
