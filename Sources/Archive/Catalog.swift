import Foundation
import GRDB
import Storage
import WallClock

/// The archive's index in SQLite (WAL): sittings, agenda items, votes with per-member records, transcript
/// lines and a trigram full-text index over them. It is fed from the event log in `seq` order, and keeps
/// per channel the last `seq` it applied in the same transaction, so after a crash it resumes where it
/// stopped and applies nothing twice.
public final class Catalog: Sendable {
    let database: SQLiteDatabase

    private init(database: SQLiteDatabase) {
        self.database = database
    }

    /// Opens (creating if needed) the catalog at `path`.
    public static func open(path: String) async throws -> Catalog {
        Catalog(database: try await SQLiteDatabase.open(path: path) { Catalog.migrator })
    }

    /// The last event `seq` of `channel` the catalog holds.
    public func cursor(channel: String) async throws -> Int64 {
        try await database.read { db in
            try Int64.fetchOne(db, sql: "SELECT seq FROM cursors WHERE channel = ?", arguments: [channel]) ?? 0
        }
    }

    /// Applies the changes of the events of `channel` up to `seq`, all or none.
    public func apply(_ changes: [SittingChange], channel: String, through seq: Int64) async throws {
        try await database.write { db in
            for change in changes { try Self.apply(change, channel: channel, db: db) }
            try db.execute(
                sql: "INSERT INTO cursors (channel, seq) VALUES (?, ?) ON CONFLICT(channel) DO UPDATE SET seq = excluded.seq",
                arguments: [channel, seq]
            )
        }
    }

    /// Records that the archive of `sitting` was written from `timeline`: its duration, and the offset of
    /// every agenda item, vote and transcript line in the recording.
    public func recordArchive(sitting: String, timeline: RecordingTimeline, at date: Date) async throws {
        try await database.write { db in
            try db.execute(
                sql: "UPDATE sittings SET duration = ?, archived_at = ? WHERE id = ?",
                arguments: [timeline.duration, ISO8601.format(date), sitting]
            )
            for (table, key, time) in [("agenda_items", "item_id", "started_at"), ("votes", "vote_id", "opened_at"), ("transcript_lines", "line_id", "start_at")] {
                let rows = try Row.fetchAll(db, sql: "SELECT \(key) AS key, \(time) AS time FROM \(table) WHERE sitting = ?", arguments: [sitting])
                let update = try db.cachedStatement(sql: "UPDATE \(table) SET offset = ? WHERE sitting = ? AND \(key) = ?")
                for row in rows {
                    let offset = (row["time"] as String?).flatMap(ISO8601.parse).map(timeline.offset(of:))
                    try update.execute(arguments: [offset, sitting, row["key"] as String])
                }
            }
        }
    }

    /// Sets aside the event `seq` of `channel`, which cannot be applied, and moves the cursor past it, so
    /// the events after it flow on. The reason stays in the `quarantine` table.
    public func quarantine(channel: String, seq: Int64, type: String, reason: String) async throws {
        try await FollowerQuarantine.setAside(in: database, channel: channel, seq: seq, type: type, reason: reason, at: ISO8601.format(Date()))
    }

    /// Removes a sitting and everything under it from the catalog.
    public func delete(sitting: String) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM transcript_search WHERE rowid IN (SELECT id FROM transcript_lines WHERE sitting = ?)", arguments: [sitting])
            for table in ["transcript_lines", "votes", "agenda_items"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE sitting = ?", arguments: [sitting])
            }
            try db.execute(sql: "DELETE FROM sittings WHERE id = ?", arguments: [sitting])
        }
    }
}
