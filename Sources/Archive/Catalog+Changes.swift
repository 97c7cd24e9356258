import Foundation
import GRDB
import Storage
import WallClock

extension Catalog {
    static func apply(_ change: SittingChange, channel: String, db: Database) throws {
        switch change {
        case let .started(sitting, title, chamber, number, scheduledAt, at):
            try db.execute(sql: """
                INSERT INTO sittings (id, channel, title, chamber, number, scheduled_at, started_at, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'live')
                ON CONFLICT(id) DO UPDATE SET title = excluded.title, chamber = excluded.chamber, number = excluded.number,
                    scheduled_at = excluded.scheduled_at, started_at = excluded.started_at, ended_at = NULL, status = 'live'
                """, arguments: [sitting, channel, title, chamber, number, scheduledAt.map(ISO8601.format), ISO8601.format(at)])
        case let .status(sitting, status, at):
            let ended: String? = status == .ended ? ISO8601.format(at) : nil
            try db.execute(sql: "UPDATE sittings SET status = ?, ended_at = ? WHERE id = ?", arguments: [status.rawValue, ended, sitting])
        case let .agenda(sitting, items):
            // A new agenda replaces the old one; items kept from it keep the time they were taken up.
            let taken = try Dictionary(
                Row.fetchAll(db, sql: "SELECT item_id, started_at FROM agenda_items WHERE sitting = ?", arguments: [sitting])
                    .map { ($0["item_id"] as String, $0["started_at"] as String?) }, uniquingKeysWith: { $1 }
            )
            try db.execute(sql: "DELETE FROM agenda_items WHERE sitting = ?", arguments: [sitting])
            for (position, item) in items.enumerated() {
                try db.execute(sql: """
                    INSERT INTO agenda_items (sitting, item_id, position, number, title, bill_id, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [sitting, item.id, position, item.number, item.title, item.billId, taken[item.id] ?? nil])
            }
        case let .currentItem(sitting, itemId, at):
            try db.execute(
                sql: "UPDATE agenda_items SET started_at = COALESCE(started_at, ?) WHERE sitting = ? AND item_id = ?",
                arguments: [ISO8601.format(at), sitting, itemId]
            )
        case let .voteOpened(sitting, voteId, itemId, motion, at):
            try db.execute(sql: """
                INSERT OR REPLACE INTO votes (sitting, vote_id, item_id, motion, opened_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [sitting, voteId, itemId, motion, ISO8601.format(at)])
        case let .voteCounted(sitting, voteId, yes, no, abstain, notVoting):
            try db.execute(
                sql: "UPDATE votes SET yes = ?, no = ?, abstain = ?, not_voting = ? WHERE sitting = ? AND vote_id = ?",
                arguments: [yes, no, abstain, notVoting, sitting, voteId]
            )
        case let .voteClosed(sitting, voteId, result, records, at, yes, no, abstain, notVoting):
            let recordsText = String(decoding: try JSONEncoder().encode(records), as: UTF8.self)
            try db.execute(sql: """
                UPDATE votes SET result = ?, records = ?, closed_at = ?, yes = ?, no = ?, abstain = ?, not_voting = ?
                WHERE sitting = ? AND vote_id = ?
                """, arguments: [result, recordsText, ISO8601.format(at), yes, no, abstain, notVoting, sitting, voteId])
        case let .line(sitting, line):
            try db.execute(sql: """
                INSERT INTO transcript_lines (sitting, line_id, text, speaker, lang, start_at, end_at, final) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(sitting, line_id) DO UPDATE SET text = excluded.text, speaker = excluded.speaker, lang = excluded.lang,
                    start_at = excluded.start_at, end_at = excluded.end_at, final = excluded.final
                """, arguments: [sitting, line.id, line.text, line.speaker, line.lang, ISO8601.format(line.start), ISO8601.format(line.end), line.final])
            let rowid = try Int64.fetchOne(db, sql: "SELECT id FROM transcript_lines WHERE sitting = ? AND line_id = ?", arguments: [sitting, line.id])
            try db.execute(sql: "DELETE FROM transcript_search WHERE rowid = ?", arguments: [rowid])
            try db.execute(sql: "INSERT INTO transcript_search (rowid, text) VALUES (?, ?)", arguments: [rowid, line.text])
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE sittings (
                    id TEXT PRIMARY KEY, channel TEXT NOT NULL, title TEXT NOT NULL, chamber TEXT, number INTEGER,
                    scheduled_at TEXT, started_at TEXT NOT NULL, ended_at TEXT, status TEXT NOT NULL,
                    duration REAL, archived_at TEXT
                );
                CREATE INDEX sittings_by_channel ON sittings (channel, started_at);
                CREATE TABLE agenda_items (
                    sitting TEXT NOT NULL, item_id TEXT NOT NULL, position INTEGER NOT NULL, number TEXT NOT NULL,
                    title TEXT NOT NULL, bill_id TEXT, started_at TEXT, offset REAL, PRIMARY KEY (sitting, item_id)
                );
                CREATE TABLE votes (
                    sitting TEXT NOT NULL, vote_id TEXT NOT NULL, item_id TEXT, motion TEXT NOT NULL, opened_at TEXT NOT NULL,
                    closed_at TEXT, result TEXT, yes INTEGER NOT NULL DEFAULT 0, no INTEGER NOT NULL DEFAULT 0,
                    abstain INTEGER NOT NULL DEFAULT 0, not_voting INTEGER NOT NULL DEFAULT 0, records TEXT NOT NULL DEFAULT '[]',
                    offset REAL, PRIMARY KEY (sitting, vote_id)
                );
                CREATE TABLE transcript_lines (
                    id INTEGER PRIMARY KEY, sitting TEXT NOT NULL, line_id TEXT NOT NULL, text TEXT NOT NULL, speaker TEXT,
                    lang TEXT NOT NULL, start_at TEXT NOT NULL, end_at TEXT NOT NULL, final INTEGER NOT NULL, offset REAL,
                    UNIQUE (sitting, line_id)
                );
                -- Trigrams find a word inside Thai text, which has no spaces between words.
                CREATE VIRTUAL TABLE transcript_search USING fts5(text, tokenize = 'trigram');
                CREATE TABLE cursors (channel TEXT PRIMARY KEY, seq INTEGER NOT NULL);
                """)
        }
        FollowerQuarantine.register(in: &migrator)
        return migrator
    }
}
