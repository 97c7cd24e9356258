import Foundation
import GRDB
import Synchronization
import Testing
@testable import Storage

@Suite("SQLiteDatabase: nothing waits on the cooperative pool")
struct SQLiteDatabaseTests {
    final class Pulse: Sendable {
        let longestPause = Atomic<Int>(0)
        let finished = Atomic<Bool>(false)
    }

    static func open() async throws -> SQLiteDatabase {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("storage-\(UUID().uuidString).sqlite").path
        return try await SQLiteDatabase.open(path: path) {
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in try db.execute(sql: "CREATE TABLE items (id INTEGER PRIMARY KEY, text TEXT NOT NULL)") }
            return migrator
        }
    }

    /// The field failure this type exists for: a burst of reads, more than GRDB has connections, each
    /// holding its connection a while (a replay page on a busy disk). With the synchronous API every pool
    /// thread would sit on GRDB's semaphore, the heartbeat below would stop and the reads would deadlock;
    /// here the waiting happens on GRDB's queue and the pool keeps running.
    @Test("80 slow concurrent reads leave the pool free: a heartbeat keeps ticking and every read completes")
    func burstOfReads() async throws {
        let database = try await Self.open()
        try await database.write { db in
            for index in 0..<100 { try db.execute(sql: "INSERT INTO items (text) VALUES (?)", arguments: ["item \(index)"]) }
        }
        // The other suites share these two pool threads and all start at once, so one burst can see a pause
        // that is theirs. A pool blocked by the reads stalls every burst (or deadlocks); up to three are run
        // and the quietest must stay under the bound.
        var pauses: [Int] = []
        for _ in 0..<3 {
            let (counts, pause) = try await Self.burst(on: database)
            #expect(counts.count == 80 && counts.allSatisfy { $0 == 100 })
            pauses.append(pause)
            if pause < 200 { break }
        }
        // 80 reads × 30 ms over GRDB's 5 connections take ≈ 0.5 s; a blocked pool would stall the heartbeat
        // for most of that (or for ever).
        #expect(pauses.min() ?? .max < 200, "the cooperative pool stalled for \(pauses) ms")
    }

    /// 80 reads that each hold a connection 30 ms, with a 5 ms heartbeat on the pool beside them: the
    /// reads' results and the heartbeat's longest pause (ms).
    static func burst(on database: SQLiteDatabase) async throws -> (counts: [Int], longestPause: Int) {
        let pulse = Pulse()
        let heartbeat = Task {
            var last = ContinuousClock.now
            while !pulse.finished.load(ordering: .relaxed) {
                try? await Task.sleep(for: .milliseconds(5))
                let now = ContinuousClock.now
                pulse.longestPause.max(Int((now - last) / .milliseconds(1)), ordering: .relaxed)
                last = now
            }
        }
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<80 {
                group.addTask {
                    try await database.read { db in
                        // Holds the connection (on GRDB's queue, not on the pool) like a slow page read.
                        Thread.sleep(forTimeInterval: 0.03)
                        return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items") ?? 0
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        pulse.finished.store(true, ordering: .relaxed)
        await heartbeat.value
        return (counts, pulse.longestPause.load(ordering: .relaxed))
    }

    /// The rule in DESIGN terms, enforced on the source: SQLite is reached only through `SQLiteDatabase`,
    /// whose API has no synchronous form. A `DatabasePool` or `DatabaseQueue` anywhere else is a way back
    /// to the blocking calls that deadlocked the server.
    @Test("no target but Storage opens a GRDB pool or queue")
    func onlyStorageOpensDatabases() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
        #expect(files.count > 50)
        var offenders: [String] = []
        for file in files where !file.path.contains("/Sources/Storage/") {
            let text = try String(contentsOf: file, encoding: .utf8)
            if text.contains("DatabasePool") || text.contains("DatabaseQueue") { offenders.append(file.lastPathComponent) }
        }
        #expect(offenders.isEmpty, "GRDB opened outside Storage: \(offenders)")
    }
}
