import Foundation
import GRDB

/// The quarantine of a store that follows the event log (the archive catalog, the webhook outbox): an event
/// it cannot apply is recorded here with the reason, and its cursor moves past it in the same transaction,
/// so the events after it flow on. Such a store keeps its cursor in `cursors (channel, seq)`.
public enum FollowerQuarantine {
    /// Adds the `quarantine` table.
    public static func register(in migrator: inout DatabaseMigrator, name: String = "v2-quarantine") {
        migrator.registerMigration(name) { db in
            try db.execute(sql: """
                CREATE TABLE quarantine (
                    channel TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, reason TEXT NOT NULL, at TEXT NOT NULL,
                    PRIMARY KEY (channel, seq)
                )
                """)
        }
    }

    /// Records the event `seq` of `channel` as set aside and moves the cursor to it.
    public static func setAside(in database: SQLiteDatabase, channel: String, seq: Int64, type: String, reason: String, at: String) async throws {
        try await database.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO quarantine (channel, seq, type, reason, at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [channel, seq, type, reason, at])
            try db.execute(sql: "INSERT INTO cursors (channel, seq) VALUES (?, ?) ON CONFLICT(channel) DO UPDATE SET seq = excluded.seq",
                           arguments: [channel, seq])
        }
    }
}
