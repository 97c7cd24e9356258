import Foundation
import GRDB
import Relay
import Storage
import WallClock

/// One Messaging API request waiting to go: a multicast to at most 500 users (a push when there is
/// one), keyed by its `X-Line-Retry-Key` so a retry after a lost answer is never delivered twice.
public struct LineRequest: Sendable, Equatable {
    public var retryKey: String
    public var userIds: [String]
    public var text: String
    public var attempts: Int
    public var createdAt: Date
}

/// LINE users who follow the account, what each follows, the alerts, the request outbox and the
/// month's message count, in SQLite. Filled from the event log with the cursor in the same transaction,
/// like the other outboxes.
public final class LineStore: Sendable {
    let database: SQLiteDatabase
    let keywords = FollowedKeywords()
    /// The Messaging API's limit of user ids in one multicast.
    public static let multicastLimit = 500

    private init(database: SQLiteDatabase) {
        self.database = database
    }

    public static func open(path: String) async throws -> LineStore {
        LineStore(database: try await SQLiteDatabase.open(path: path) {
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(sql: """
                    CREATE TABLE users (user_id TEXT PRIMARY KEY, joined_at REAL NOT NULL);
                    CREATE TABLE follows (
                        kind TEXT NOT NULL, value TEXT NOT NULL, channel TEXT NOT NULL, subscription_id TEXT NOT NULL,
                        PRIMARY KEY (kind, value, channel, subscription_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX follows_by_user ON follows (subscription_id);
                    CREATE TABLE alerts (
                        id INTEGER PRIMARY KEY, channel TEXT NOT NULL, dedupe TEXT NOT NULL, seq INTEGER NOT NULL, text TEXT NOT NULL,
                        created_at REAL NOT NULL, UNIQUE (channel, dedupe)
                    );
                    CREATE TABLE requests (
                        retry_key TEXT PRIMARY KEY, alert_id INTEGER NOT NULL, user_ids TEXT NOT NULL, recipients INTEGER NOT NULL,
                        status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL, created_at REAL NOT NULL,
                        last_status INTEGER, reason TEXT
                    );
                    CREATE INDEX requests_due ON requests (status, next_at);
                    CREATE TABLE alerted (alert_id INTEGER NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (alert_id, user_id)) WITHOUT ROWID;
                    CREATE TABLE usage (month TEXT PRIMARY KEY, messages INTEGER NOT NULL);
                    CREATE TABLE cursors (channel TEXT PRIMARY KEY, seq INTEGER NOT NULL);
                    """)
            }
            FollowerQuarantine.register(in: &migrator)
            return migrator
        })
    }

    // MARK: users

    /// Applies what a webhook asked (a follow over `maxFollows`, or longer than a keyword may be, is left out).
    public func apply(_ commands: [LineWebhook.Command], maxFollows: Int, now: Date = Date()) async throws {
        try await database.write { db in
            keywords.invalidate()
            for command in commands {
                switch command {
                case .joined(let user):
                    try db.execute(sql: "INSERT OR IGNORE INTO users (user_id, joined_at) VALUES (?, ?)", arguments: [user, now.timeIntervalSince1970])
                case .left(let user):
                    try db.execute(sql: "DELETE FROM follows WHERE subscription_id = ?", arguments: [user])
                    try db.execute(sql: "DELETE FROM users WHERE user_id = ?", arguments: [user])
                case .stopAll(let user):
                    try db.execute(sql: "DELETE FROM follows WHERE subscription_id = ?", arguments: [user])
                case .follow(let user, let text):
                    guard text.count <= Keyword.maxLength else { continue }
                    let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM follows WHERE subscription_id = ? AND kind = 'bill'", arguments: [user]) ?? 0
                    guard count < maxFollows else { continue }
                    try db.execute(sql: "INSERT OR IGNORE INTO users (user_id, joined_at) VALUES (?, ?)", arguments: [user, now.timeIntervalSince1970])
                    // What they sent may be a bill id or a word to listen for: it is followed as both.
                    try db.execute(sql: "INSERT OR IGNORE INTO follows (kind, value, channel, subscription_id) VALUES ('bill', ?, '', ?)", arguments: [text, user])
                    try db.execute(sql: "INSERT OR IGNORE INTO follows (kind, value, channel, subscription_id) VALUES ('keyword', ?, '', ?)", arguments: [Keyword.fold(text), user])
                case .unfollow(let user, let text):
                    try db.execute(sql: "DELETE FROM follows WHERE subscription_id = ? AND ((kind = 'bill' AND value = ?) OR (kind = 'keyword' AND value = ?))",
                                   arguments: [user, text, Keyword.fold(text)])
                }
            }
        }
    }

    /// What `user` follows (bill ids as sent).
    public func follows(user: String) async throws -> [String] {
        try await database.read { db in
            try String.fetchAll(db, sql: "SELECT value FROM follows WHERE subscription_id = ? AND kind = 'bill' ORDER BY value", arguments: [user])
        }
    }

    // MARK: outbox

    public func cursor(channel: String) async throws -> Int64 {
        try await database.read { db in try Int64.fetchOne(db, sql: "SELECT seq FROM cursors WHERE channel = ?", arguments: [channel]) ?? 0 }
    }

    /// Queues each event's alert (the Thai notification's title, body and link) to the users who follow
    /// it, in requests of at most 500 users, and moves the cursor, in one transaction. Returns how many
    /// requests were queued. Events older than `maxAge` are passed over.
    @discardableResult
    public func enqueue(_ events: [Event], channel: String, through seq: Int64, state: ChannelState, publicURL: String,
                        maxAge: TimeInterval = 3600, now: Date = Date()) async throws -> Int {
        let alerts = events.compactMap { event -> (Event, String)? in
            // Long past (a follower catching up after an outage): no alert.
            guard now.timeIntervalSince(event.at) < maxAge, let notification = PushNotification(event: event, state: state, lang: "th") else { return nil }
            var text = "\(notification.title)\n\(notification.body)"
            if !publicURL.isEmpty { text += "\n" + publicURL.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + notification.url }
            return (event, text)
        }
        return try await database.write { db in
            var queued = 0
            for (event, text) in alerts {
                let values = try FollowedValues.of(event, in: db, keywords: keywords)
                guard !values.isEmpty else { continue }
                try db.execute(sql: "INSERT OR IGNORE INTO alerts (channel, dedupe, seq, text, created_at) VALUES (?, ?, ?, ?, ?)",
                               arguments: [channel, PushNotification.dedupeKey(for: event), event.seq, text, now.timeIntervalSince1970])
                let alert: Int64
                if db.changesCount > 0 {
                    alert = db.lastInsertedRowID
                } else {
                    // Already alerted; a line said again (corrected) may name a keyword more: only its new
                    // followers get it.
                    guard event.type == .transcriptLine, let existing = try Int64.fetchOne(
                        db, sql: "SELECT id FROM alerts WHERE channel = ? AND dedupe = ?", arguments: [channel, PushNotification.dedupeKey(for: event)]
                    ) else { continue }
                    alert = existing
                    try db.execute(sql: "UPDATE alerts SET text = ? WHERE id = ?", arguments: [text, alert])
                }
                let users = try String.fetchAll(db, sql: """
                    SELECT DISTINCT f.subscription_id FROM follows f WHERE f.channel IN ('', ?) AND \(FollowedValues.condition)
                        AND NOT EXISTS (SELECT 1 FROM alerted a WHERE a.alert_id = ? AND a.user_id = f.subscription_id)
                    ORDER BY f.subscription_id
                    """, arguments: StatementArguments([channel]) + StatementArguments(try FollowedValues.arguments(values)) + StatementArguments([alert]))
                guard !users.isEmpty else { continue }
                if event.type == .transcriptLine {
                    let remember = try db.cachedStatement(sql: "INSERT OR IGNORE INTO alerted (alert_id, user_id) VALUES (?, ?)")
                    for user in users { try remember.execute(arguments: [alert, user]) }
                }
                for start in stride(from: 0, to: users.count, by: Self.multicastLimit) {
                    let chunk = Array(users[start..<min(users.count, start + Self.multicastLimit)])
                    try db.execute(sql: """
                        INSERT INTO requests (retry_key, alert_id, user_ids, recipients, status, next_at, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)
                        """, arguments: [UUID().uuidString.lowercased(), alert, try Self.json(chunk), chunk.count, now.timeIntervalSince1970, now.timeIntervalSince1970])
                    queued += 1
                }
            }
            try db.execute(sql: "INSERT INTO cursors (channel, seq) VALUES (?, ?) ON CONFLICT(channel) DO UPDATE SET seq = excluded.seq", arguments: [channel, seq])
            return queued
        }
    }

    /// Requests due at `now`, oldest first.
    public func due(now: Date = Date(), limit: Int = 20) async throws -> [LineRequest] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.retry_key, r.user_ids, r.attempts, r.created_at, a.text FROM requests r JOIN alerts a ON a.id = r.alert_id
                WHERE r.status = 'pending' AND r.next_at <= ? ORDER BY r.next_at LIMIT ?
                """, arguments: [now.timeIntervalSince1970, limit]).map { row in
                LineRequest(retryKey: row["retry_key"], userIds: (try? JSONDecoder().decode([String].self, from: Data((row["user_ids"] as String).utf8))) ?? [],
                            text: row["text"], attempts: row["attempts"], createdAt: Date(timeIntervalSince1970: row["created_at"]))
            }
        }
    }

    public func nextDue() async throws -> Date? {
        try await database.read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(next_at) FROM requests WHERE status = 'pending'").map(Date.init(timeIntervalSince1970:))
        }
    }

    /// What became of a request.
    public enum Outcome: Sendable, Equatable {
        /// Accepted (also a 409: the retry key was accepted before); its recipients count against the month.
        case sent
        case retry(at: Date)
        /// Refused or given up; `reason` is kept.
        case failed(reason: String)
        /// Not sent: it would go over the month's budget.
        case held(reason: String)
    }

    public func record(_ request: LineRequest, status: Int?, outcome: Outcome, now: Date = Date()) async throws {
        let month = Self.month(of: now)
        try await database.write { db in
            switch outcome {
            case .sent:
                try db.execute(sql: "UPDATE requests SET status = 'sent', attempts = attempts + 1, last_status = ? WHERE retry_key = ?", arguments: [status, request.retryKey])
                try db.execute(sql: "INSERT INTO usage (month, messages) VALUES (?, ?) ON CONFLICT(month) DO UPDATE SET messages = messages + excluded.messages",
                               arguments: [month, request.userIds.count])
            case .retry(let at):
                try db.execute(sql: "UPDATE requests SET attempts = attempts + 1, next_at = ?, last_status = ? WHERE retry_key = ?",
                               arguments: [at.timeIntervalSince1970, status, request.retryKey])
            case .failed(let reason):
                try db.execute(sql: "UPDATE requests SET status = 'failed', attempts = attempts + 1, last_status = ?, reason = ? WHERE retry_key = ?",
                               arguments: [status, reason, request.retryKey])
            case .held(let reason):
                try db.execute(sql: "UPDATE requests SET status = 'held', reason = ? WHERE retry_key = ?", arguments: [reason, request.retryKey])
            }
        }
    }

    /// Forgets alerts older than `date` with their finished requests (sent, failed, held); pending ones stay.
    public func prune(before date: Date) async throws {
        try await database.write { db in
            let old = "SELECT id FROM alerts WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.alert_id = alerts.id AND r.status = 'pending')"
            try db.execute(sql: "DELETE FROM requests WHERE alert_id IN (\(old))", arguments: [date.timeIntervalSince1970])
            try db.execute(sql: "DELETE FROM alerted WHERE alert_id IN (\(old))", arguments: [date.timeIntervalSince1970])
            try db.execute(sql: "DELETE FROM alerts WHERE id IN (\(old))", arguments: [date.timeIntervalSince1970])
        }
    }

    /// Messages used in `date`'s month.
    public func used(in date: Date = Date()) async throws -> Int {
        let month = Self.month(of: date)
        return try await database.read { db in try Int.fetchOne(db, sql: "SELECT messages FROM usage WHERE month = ?", arguments: [month]) ?? 0 }
    }

    /// Requests by status, for metrics and tests.
    public func requestCounts() async throws -> [String: Int] {
        try await database.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM requests GROUP BY status").map { ($0["status"], $0["n"]) })
        }
    }

    public func quarantine(channel: String, seq: Int64, type: String, reason: String) async throws {
        try await FollowerQuarantine.setAside(in: database, channel: channel, seq: seq, type: type, reason: reason, at: ISO8601.format(Date()))
    }

    /// The budget's month: the calendar month in Thailand.
    static func month(of date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Bangkok") ?? .gmt
        let parts = calendar.dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0)
    }

    private static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }
}
