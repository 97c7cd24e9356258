import Alerts
import Crypto
import Foundation
import Relay
import Testing

@Suite("LINE: webhook signatures and commands, the outbox in requests of 500, the monthly count")
struct LineTests {
    func store() async throws -> LineStore {
        try await LineStore.open(path: FileManager.default.temporaryDirectory.appendingPathComponent("line-\(UUID().uuidString).sqlite").path)
    }

    static func sign(_ body: Data, _ secret: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))).base64EncodedString()
    }

    @Test("X-Line-Signature is HMAC-SHA256 of the body under the channel secret; forged, missing or reused on another body is refused")
    func signatures() {
        let body = Data(#"{"destination":"U0","events":[]}"#.utf8)
        let good = Self.sign(body, "channel-secret")
        #expect(LineWebhook.verify(body: body, signature: good, secret: "channel-secret"))
        #expect(!LineWebhook.verify(body: body, signature: Self.sign(body, "other-secret"), secret: "channel-secret"))
        #expect(!LineWebhook.verify(body: Data(#"{"destination":"U0","events":[{}]}"#.utf8), signature: good, secret: "channel-secret"))
        #expect(!LineWebhook.verify(body: body, signature: nil, secret: "channel-secret"))
        #expect(!LineWebhook.verify(body: body, signature: "not base64!", secret: "channel-secret"))
        #expect(!LineWebhook.verify(body: body, signature: good, secret: ""), "no secret configured: nothing verifies")
    }

    @Test("webhook events become commands: follow, unfollow, a bill id or word, -word, stop; groups, rooms (with their sender's id) and stickers are left out")
    func commands() throws {
        let body = Data("""
            {"destination":"Ubot","events":[
              {"type":"follow","source":{"type":"user","userId":"U1"}},
              {"type":"message","source":{"type":"user","userId":"U1"},"message":{"type":"text","text":" bill-77 "}},
              {"type":"message","source":{"type":"user","userId":"U1"},"message":{"type":"text","text":"-bill-77"}},
              {"type":"message","source":{"type":"user","userId":"U2"},"message":{"type":"text","text":"หยุด"}},
              {"type":"message","source":{"type":"user","userId":"U2"},"message":{"type":"sticker","packageId":"1"}},
              {"type":"message","source":{"type":"group","groupId":"C1","userId":"U4"},"message":{"type":"text","text":"x"}},
              {"type":"message","source":{"type":"room","roomId":"R1","userId":"U4"},"message":{"type":"text","text":"y"}},
              {"type":"unfollow","source":{"type":"user","userId":"U3"}}
            ]}
            """.utf8)
        #expect(try LineWebhook.commands(in: body) == [
            .joined(user: "U1"), .follow(user: "U1", text: "bill-77"), .unfollow(user: "U1", text: "bill-77"), .stopAll(user: "U2"), .left(user: "U3"),
        ])
        #expect(throws: (any Error).self) { try LineWebhook.commands(in: Data("[]".utf8)) }
    }

    @Test("1,201 followers of a bill make three requests (500, 500, 201) with distinct retry keys; a keyword in a Thai line reaches its follower")
    func outbox() async throws {
        let store = try await store()
        try await store.apply((0..<1201).map { .follow(user: String(format: "U%032x", $0), text: "bill-77") }, maxFollows: 20)
        try await store.apply([.follow(user: "Uword", text: "งบประมาณ")], maxFollows: 20)
        var state = ChannelState()
        state.agenda = [AgendaItem(id: "i1", number: "1", title: "ร่างพระราชบัญญัติงบประมาณ", billId: "bill-77")]
        let taken = try Event(seq: 3, id: "e3", channel: "senate", sitting: "s", type: .agendaItem, at: Date(), data: .object(["itemId": "i1"]),
                              subject: EventSubject(itemIds: ["i1"], billIds: ["bill-77"]))
        #expect(try await store.enqueue([taken], channel: "senate", through: 3, state: state, publicURL: "https://live.example/") == 3)
        #expect(try await store.enqueue([taken], channel: "senate", through: 3, state: state, publicURL: "https://live.example/") == 0)
        let requests = try await store.due(limit: 10)
        #expect(requests.map(\.userIds.count).sorted() == [201, 500, 500])
        #expect(Set(requests.map(\.retryKey)).count == 3)
        #expect(requests[0].text.hasPrefix("1. ร่างพระราชบัญญัติงบประมาณ\nเริ่มพิจารณาแล้วขณะนี้\nhttps://live.example/watch/senate?at="))
        let line = try Event(seq: 4, id: "e4", channel: "senate", sitting: "s", type: .transcriptLine, at: Date(), data: .object([
            "lineId": "L1", "text": "ที่ประชุมพิจารณางบประมาณประจำปี", "lang": "th", "start": "2026-12-01T03:00:00Z", "end": "2026-12-01T03:00:04Z", "final": .bool(true),
        ]))
        #expect(try await store.enqueue([line], channel: "senate", through: 4, state: state, publicURL: "") == 1)
        let said = try await store.due(limit: 10).first { $0.userIds == ["Uword"] }
        #expect(said?.text.contains("งบประมาณ") == true)
        try await store.record(requests[0], status: 200, outcome: .sent)
        #expect(try await store.used() == requests[0].userIds.count)
        #expect(try await store.follows(user: "Uword") == ["งบประมาณ"])
        try await store.apply([.stopAll(user: "Uword")], maxFollows: 20)
        #expect(try await store.follows(user: "Uword").isEmpty)
    }
}
