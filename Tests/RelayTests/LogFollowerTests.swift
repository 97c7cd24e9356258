import Foundation
import Logging
import Synchronization
import Testing
@testable import Relay

@Suite("Log follower")
struct LogFollowerTests {
    /// What a consumer did, for the checks.
    final class Record: Sendable {
        let consumed = Mutex<[Int64]>([])
        let quarantined = Mutex<[Int64]>([])
        let cursor = Mutex<Int64>(0)
    }

    struct Refused: Error {}

    static func relay(events: Int) async throws -> Relay {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("follower-\(UUID().uuidString).sqlite").path
        let relay = Relay(log: try await SQLiteEventLog.open(path: path), hub: Hub(), channels: ["senate"])
        try await relay.start()
        for index in 0..<events {
            _ = try await relay.publish(channel: "senate", drafts: [EventDraft(type: .notice, data: .object(["text": .string("n\(index)")]))], isBatch: false)
        }
        return relay
    }

    static func follower(_ relay: Relay, _ record: Record, refuses: @escaping @Sendable (Int64) -> Bool, storeDown: Bool = false) -> LogFollower {
        LogFollower(channel: "senate", relay: relay, name: "a test consumer", store: "test", logger: Logger(label: "test"), retryDelays: [0, 0, 0]) {
            record.cursor.withLock { $0 }
        } consume: { events, through in
            if storeDown || events.contains(where: { refuses($0.seq) }) { throw Refused() }
            record.consumed.withLock { $0 += events.map(\.seq) }
            record.cursor.withLock { $0 = through }
        } quarantine: { event, _ in
            if storeDown { throw Refused() }
            record.quarantined.withLock { $0.append(event.seq) }
            record.cursor.withLock { $0 = event.seq }
        }
    }

    @Test("an event the consumer keeps refusing is quarantined and the events after it are consumed")
    func quarantinesOne() async throws {
        let relay = try await Self.relay(events: 5)
        let record = Record()
        await Self.follower(relay, record) { $0 == 3 }.catchUp()
        #expect(record.consumed.withLock { $0 } == [1, 2, 4, 5])
        #expect(record.quarantined.withLock { $0 } == [3])
        #expect(record.cursor.withLock { $0 } == 5)
    }

    @Test("when the store takes nothing (an outage), nothing is quarantined and the cursor stays")
    func outage() async throws {
        let relay = try await Self.relay(events: 3)
        let record = Record()
        await Self.follower(relay, record, refuses: { _ in true }, storeDown: true).catchUp()
        #expect(record.quarantined.withLock { $0 }.isEmpty)
        #expect(record.cursor.withLock { $0 } == 0)
    }

    @Test("stop() during a long catch-up ends it after the page under way, not after the whole backlog")
    func stopsMidCatchUp() async throws {
        let relay = try await Self.relay(events: 0)
        // Small batches: one publish is one turn of the relay actor on the pool the other suites share.
        for start in stride(from: 0, to: 2_500, by: 50) {
            _ = try await relay.publish(channel: "senate", drafts: (start..<start + 50).map {
                EventDraft(type: .notice, data: .object(["text": .string("n\($0)")]))
            }, isBatch: true)
        }
        let record = Record()
        let (firstPage, pageTaken) = AsyncStream.makeStream(of: Void.self)
        let follower = LogFollower(channel: "senate", relay: relay, name: "a slow consumer", store: "test", logger: Logger(label: "test")) {
            record.cursor.withLock { $0 }
        } consume: { events, through in
            record.consumed.withLock { $0 += events.map(\.seq) }
            record.cursor.withLock { $0 = through }
            pageTaken.yield()
            try await Task.sleep(for: .milliseconds(200))
        } quarantine: { _, _ in }
        let run = Task { await follower.run() }
        for await _ in firstPage { break }
        follower.stop()
        await run.value
        #expect(record.consumed.withLock { $0.count } <= 1_000, "at most the page under way and none after")
        #expect(record.cursor.withLock { $0 } < 2_500)
    }
}
