import Foundation
import HLS
import Logging
import Relay
import Testing
import WallClock
@testable import LiveOrigin

@Suite("Live sync follows the log")
struct LiveSyncTests {
    static let channel = "senate"

    static func relay() async throws -> Relay {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("livesync-\(UUID().uuidString).sqlite").path
        let relay = Relay(log: try await SQLiteEventLog.open(path: path), hub: Hub(), channels: [channel])
        try await relay.start()
        return relay
    }

    static func store() -> SegmentStore {
        SegmentStore(channel: channel, renditions: ["source"], configuration: .init(), disk: nil)
    }

    static func draft(_ type: EventType, at: Date = Date(), _ fields: [String: JSONValue]) -> EventDraft {
        EventDraft(type: type, at: at, data: .object(fields))
    }

    static func opening(at start: Date) -> [EventDraft] {
        [
            draft(.sittingStarted, at: start, ["title": "การประชุมวุฒิสภา", "chamber": "senate", "number": .int(3), "scheduledAt": "2026-11-23T02:30:00Z"]),
            draft(.agendaSet, at: start, ["items": .array([
                .object(["id": "i1", "number": "1", "title": "เรื่องที่ประธานแจ้ง"]),
                .object(["id": "i2", "number": "2", "title": "ร่างพระราชบัญญัติ", "billId": "bill-1"]),
            ])]),
            draft(.agendaItem, at: start, ["itemId": "i1"]),
        ]
    }

    static func lines(_ range: Range<Int>, at now: Date) -> [EventDraft] {
        range.map { index in
            draft(.transcriptLine, at: now, [
                "lineId": .string("l\(index)"), "text": .string("ถ้อยคำที่ \(index)"), "lang": "th", "final": .bool(true),
                "start": .string(ISO8601.format(now)), "end": .string(ISO8601.format(now.addingTimeInterval(1))),
            ])
        }
    }

    /// In batches of 50: each publish is one turn of the relay actor on the cooperative pool, and this
    /// process's other suites (the SQLite pool's heartbeat) share its two threads.
    static func publish(_ relay: Relay, _ drafts: [EventDraft]) async throws {
        for start in stride(from: 0, to: drafts.count, by: 50) {
            _ = try await relay.publish(channel: channel, drafts: Array(drafts[start..<min(start + 50, drafts.count)]), isBatch: true)
        }
    }

    /// Runs a follower (registered with the hub, as the service does) through `body`, then until `done`.
    static func following(_ relay: Relay, _ store: SegmentStore, _ body: () async throws -> Void, until done: () async -> Bool) async throws {
        let follower = LiveSync.follower(channel: channel, relay: relay, store: store, logger: Logger(label: "test"))
        relay.hub.add(follower, channel: channel)
        let task = Task { await follower.run() }
        try await body()
        for _ in 0..<400 where await !done() { try await Task.sleep(for: .milliseconds(50)) }
        relay.hub.remove(follower, channel: channel)
        follower.stop()
        await task.value
    }

    @Test("12,000 events while the follower runs (more than any subscriber queue holds) and a severed channel: every cue and range arrives")
    func overflowAndSever() async throws {
        let relay = try await Self.relay()
        let store = Self.store()
        let now = Date()
        try await Self.following(relay, store) {
            try await Self.publish(relay, Self.opening(at: now.addingTimeInterval(-10)))
            try await Self.publish(relay, Self.lines(0..<6_000, at: now))
            // What a shared-log gap does to the hub's subscribers: the old hub subscriber ignored it.
            relay.hub.sever(channel: Self.channel)
            try await Self.publish(relay, [
                Self.draft(.voteOpened, at: now, ["voteId": "v1", "itemId": "i2", "motion": "รับหลักการ"]),
            ])
            try await Self.publish(relay, Self.lines(6_000..<12_000, at: now))
            try await Self.publish(relay, [Self.draft(.voteClosed, at: now.addingTimeInterval(1), [
                "voteId": "v1", "result": "passed", "yes": .int(1), "no": .int(0), "abstain": .int(0), "notVoting": .int(0),
                "records": .array([.object(["name": "ก", "vote": "yes"])]),
            ])])
        } until: {
            let closed = await store.dateRanges(classId: LiveSync.voteClass).first?.end != nil
            return await store.captions().count >= 12_000 && closed
        }
        let captions = await store.captions()
        #expect(captions.count == 12_000)
        #expect(Set(captions.keys) == Set((0..<12_000).map { "l\($0)" }))
        let votes = await store.dateRanges(classId: LiveSync.voteClass)
        #expect(votes.count == 1 && votes.first?.end != nil && votes.first?.attributes.contains { $0 == ("X-RESULT", "passed") } == true)
        let items = await store.dateRanges(classId: LiveSync.agendaClass)
        #expect(items.count == 1 && items.first?.attributes.contains { $0 == ("X-TITLE", "เรื่องที่ประธานแจ้ง") } == true)
    }

    @Test("after a restart the follower rebuilds an agenda item taken up 3,000 events ago, with its title (no fixed window)")
    func restartRebuildsOldItem() async throws {
        let relay = try await Self.relay()
        let now = Date()
        try await Self.publish(relay, Self.opening(at: now.addingTimeInterval(-3_600)))
        try await Self.publish(relay, (0..<3_000).map { Self.draft(.notice, at: now, ["text": .string("ประกาศ \($0)")]) })
        let store = Self.store()
        try await Self.following(relay, store) {} until: { await !store.dateRanges(classId: LiveSync.agendaClass).isEmpty }
        let items = await store.dateRanges(classId: LiveSync.agendaClass)
        #expect(items.count == 1)
        #expect(items.first?.end == nil, "still under consideration")
        #expect(items.first?.attributes.contains { $0 == ("X-TITLE", "เรื่องที่ประธานแจ้ง") } == true)
    }

    @Test("a sitting that ends with a vote open closes the vote's range as well as the item's")
    func endClosesOpenVote() async throws {
        let relay = try await Self.relay()
        let store = Self.store()
        let now = Date()
        try await Self.publish(relay, Self.opening(at: now.addingTimeInterval(-20)))
        try await Self.publish(relay, [
            Self.draft(.voteOpened, at: now.addingTimeInterval(-10), ["voteId": "v9", "motion": "ปิดอภิปราย"]),
            Self.draft(.sittingEnded, at: now, [:]),
        ])
        try await Self.following(relay, store) {} until: {
            await store.dateRanges(classId: LiveSync.voteClass).first?.end != nil
        }
        let vote = await store.dateRanges(classId: LiveSync.voteClass)
        #expect(vote.count == 1 && vote.first?.end != nil, "an open-ended range would be listed in every playlist for ever")
        #expect(await store.dateRanges(classId: LiveSync.agendaClass).first?.end != nil)
    }
}
