import Foundation
import GRDB
import Logging
import Storage
import WallClock

/// `EventLog` in SQLite (WAL) under the data folder. Keeps the newest `history` events per channel. A row
/// that does not read back as an event is moved to `quarantined_events` the first time it is met.
public final class SQLiteEventLog: EventLog {
    private let database: SQLiteDatabase
    private let history: Int64
    private let logger: Logger

    private init(database: SQLiteDatabase, history: Int64, logger: Logger) {
        self.database = database
        self.history = max(1, history)
        self.logger = logger
    }

    /// Opens (creating it if needed) the log at `path`.
    public static func open(path: String, history: Int64 = 100_000, logger: Logger = Logger(label: "senate-live.relay")) async throws -> SQLiteEventLog {
        let database = try await SQLiteDatabase.open(path: path) {
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
            migrator.registerMigration("v3-quarantine") { db in
                try db.execute(sql: """
                    CREATE TABLE quarantined_events (
                        channel TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT, sitting TEXT, type TEXT, at TEXT, data TEXT,
                        subject TEXT, reason TEXT NOT NULL, quarantined_at TEXT NOT NULL, PRIMARY KEY (channel, seq)
                    ) WITHOUT ROWID
                    """)
            }
            return migrator
        }
        return SQLiteEventLog(database: database, history: history, logger: logger)
    }

    public func head(channel: String) async throws -> (seq: Int64, state: ChannelState) {
        let row = try await database.read { db -> (Int64, String)? in
            try Row.fetchOne(db, sql: "SELECT seq, state FROM channels WHERE channel = ?", arguments: [channel]).map { ($0["seq"], $0["state"]) }
        }
        guard let (seq, state) = row else { return (0, ChannelState()) }
        do { return (seq, try StoredEventCoding.state(from: state)) } catch {
            throw RelayError(.unavailable, code: "store_corrupt", "the stored state of \(channel) does not read: \(error)")
        }
    }

    public func append(_ events: [Event], state: ChannelState) async throws {
        guard let last = events.last else { return }
        let rows = try events.map(StoredEventCoding.row(of:))
        let stateText = try StoredEventCoding.text(of: state)
        let history = history
        try await database.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO events (channel, seq, id, sitting, type, at, data, subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            for row in rows { try insert.execute(arguments: Self.arguments(row)) }
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
        try await readable(try await database.read { db in
            try Row.fetchAll(db, sql: "\(Self.columns) WHERE events.channel = ? AND typeof(events.seq) = 'integer' AND events.seq > ? ORDER BY events.seq LIMIT ?", arguments: [channel, after, limit]).map(Self.row)
        })
    }

    public func event(channel: String, id: String) async throws -> Event? {
        try await readable(try await database.read { db in
            try Row.fetchAll(db, sql: "\(Self.columns) WHERE events.channel = ? AND events.id = ?", arguments: [channel, id]).map(Self.row)
        }).first
    }

    public func oldestSeq(channel: String) async throws -> Int64? {
        try await database.read { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(seq) FROM events WHERE channel = ?", arguments: [channel])
        }
    }

    /// The events of `rows`; the others are moved to the quarantine table first.
    private func readable(_ rows: [StoredEventRow]) async throws -> [Event] {
        let (events, unreadable) = StoredEventCoding.events(rows)
        guard !unreadable.isEmpty else { return events }
        let now = ISO8601.format(Date())
        try await database.write { db in
            for bad in unreadable {
                try db.execute(sql: """
                    INSERT OR REPLACE INTO quarantined_events (channel, seq, id, sitting, type, at, data, subject, reason, quarantined_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: Self.arguments(bad.row) + [bad.reason, now])
                try db.execute(sql: "DELETE FROM events WHERE channel = ? AND seq = ?", arguments: [bad.row.channel, bad.row.seq])
            }
        }
        for bad in unreadable {
            Quarantine.record(store: "event_log", channel: bad.row.channel, seq: bad.row.seq, reason: bad.reason, logger: logger)
        }
        return events
    }

    /// Every column as text (or NULL), whatever a hand-edited row holds: GRDB stops the process on a value
    /// it cannot convert, and such a row must be quarantined instead. (A row whose seq is not even an
    /// integer is not part of the sequence: the reads by seq pass it by.)
    private static let columns = """
        SELECT CAST(channel AS TEXT) AS channel, CAST(seq AS INTEGER) AS seq, CAST(id AS TEXT) AS id, CAST(sitting AS TEXT) AS sitting,
            CAST(type AS TEXT) AS type, CAST(at AS TEXT) AS at, CAST(data AS TEXT) AS data, CAST(subject AS TEXT) AS subject FROM events
        """

    private static func row(_ row: Row) -> StoredEventRow {
        StoredEventRow(
            channel: row["channel"] ?? "", seq: row["seq"] ?? 0, id: row["id"] ?? "", sitting: row["sitting"], type: row["type"] ?? "",
            at: row["at"] ?? "", data: row["data"] ?? "", subject: row["subject"]
        )
    }

    private static func arguments(_ row: StoredEventRow) -> StatementArguments {
        [row.channel, row.seq, row.id, row.sitting, row.type, row.at, row.data, row.subject]
    }
}
