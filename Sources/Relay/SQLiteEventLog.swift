import Foundation
import WallClock
import GRDB

/// `EventLog` in SQLite (WAL) under the data folder. Keeps the newest `history` events per channel.
public final class SQLiteEventLog: EventLog {
    private let database: DatabasePool
    private let history: Int64

    public init(path: String, history: Int64 = 100_000) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // WAL + synchronous=FULL: an acknowledged event survives a power loss, not only a process crash.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        database = try DatabasePool(path: path, configuration: configuration)
        self.history = max(1, history)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE events (
                    channel TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, sitting TEXT,
                    type TEXT NOT NULL, at TEXT NOT NULL, data TEXT NOT NULL,
                    PRIMARY KEY (channel, seq)
                ) WITHOUT ROWID;
                CREATE UNIQUE INDEX events_id ON events (channel, id);
                CREATE TABLE channels (channel TEXT PRIMARY KEY, seq INTEGER NOT NULL, state TEXT NOT NULL) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v2-subject") { db in
            try db.execute(sql: "ALTER TABLE events ADD COLUMN subject TEXT")
        }
        try migrator.migrate(database)
    }

    public func head(channel: String) async throws -> (seq: Int64, state: ChannelState) {
        let row = try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT seq, state FROM channels WHERE channel = ?", arguments: [channel])
        }
        guard let row else { return (0, ChannelState()) }
        return (row["seq"], try StoredEventCoding.state(from: row["state"]))
    }

    public func append(_ events: [Event], state: ChannelState) async throws {
        guard let last = events.last else { return }
        let rows = try events.map { event in
            let columns = try StoredEventCoding.columns(of: event)
            return [event.channel, event.seq, event.id, event.sitting, columns.type, columns.at, columns.data, columns.subject] as StatementArguments
        }
        let stateText = try StoredEventCoding.text(of: state)
        let history = history
        try await database.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO events (channel, seq, id, sitting, type, at, data, subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            for arguments in rows { try insert.execute(arguments: arguments) }
            try db.execute(
                sql: "INSERT INTO channels (channel, seq, state) VALUES (?, ?, ?) ON CONFLICT(channel) DO UPDATE SET seq = excluded.seq, state = excluded.state",
                arguments: [last.channel, last.seq, stateText]
            )
            // Trim history in steps of 1000 so the delete is rare and cheap.
            if last.seq % 1000 < Int64(events.count) && last.seq > history {
                try db.execute(sql: "DELETE FROM events WHERE channel = ? AND seq <= ?", arguments: [last.channel, last.seq - history])
            }
        }
    }

    public func events(channel: String, after: Int64, limit: Int) async throws -> [Event] {
        let rows = try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM events WHERE channel = ? AND seq > ? ORDER BY seq LIMIT ?", arguments: [channel, after, limit])
        }
        return try rows.map(event)
    }

    public func event(channel: String, id: String) async throws -> Event? {
        let row = try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM events WHERE channel = ? AND id = ?", arguments: [channel, id])
        }
        return try row.map(event)
    }

    public func oldestSeq(channel: String) async throws -> Int64? {
        try await database.read { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(seq) FROM events WHERE channel = ?", arguments: [channel])
        }
    }

    private func event(_ row: Row) throws -> Event {
        try StoredEventCoding.event(
            channel: row["channel"], seq: row["seq"], id: row["id"], sitting: row["sitting"],
            type: row["type"], at: row["at"], data: row["data"], subject: row["subject"]
        )
    }
}
