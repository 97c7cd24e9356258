import Foundation
import GRDB
import Relay
import Storage
import WallClock

/// What a push subscription follows: bills, items, tags and keywords, on `channels` (empty: every channel).
public struct PushFollow: Codable, Sendable, Equatable {
    public var channels: [String] = []
    public var billIds: [String] = []
    public var itemIds: [String] = []
    public var tags: [String] = []
    public var keywords: [String] = []

    public init(channels: [String] = [], billIds: [String] = [], itemIds: [String] = [], tags: [String] = [], keywords: [String] = []) {
        self.channels = channels
        self.billIds = billIds
        self.itemIds = itemIds
        self.tags = tags
        self.keywords = keywords
    }

    /// Any list may be left out.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        channels = try container.decodeIfPresent([String].self, forKey: .channels) ?? []
        billIds = try container.decodeIfPresent([String].self, forKey: .billIds) ?? []
        itemIds = try container.decodeIfPresent([String].self, forKey: .itemIds) ?? []
        tags = try container.decodeIfPresent([String].self, forKey: .tags) ?? []
        keywords = try container.decodeIfPresent([String].self, forKey: .keywords) ?? []
    }

    public var isEmpty: Bool { billIds.isEmpty && itemIds.isEmpty && tags.isEmpty && keywords.isEmpty }

    /// The rows of the `follows` table: (kind, value); keywords folded as they are matched.
    var rows: [(kind: String, value: String)] {
        billIds.map { ("bill", $0) } + itemIds.map { ("item", $0) } + tags.map { ("tag", $0) } + keywords.map { ("keyword", Keyword.fold($0)) }
    }
}

/// One delivery claimed from the outbox.
public struct PushJob: Sendable {
    public var notificationId: Int64
    public var subscriptionId: Int64
    public var subscription: PushSubscription
    /// The endpoint's origin (`https://host[:port]`): where it is sent, and the VAPID audience.
    public var origin: String
    public var payload: Data
    public var urgency: String
    /// The alert's TTL, and when it expires (no point delivering it after).
    public var ttl: Int
    public var expiresAt: Date
    public var attempts: Int
}

/// What became of one push attempt.
public enum PushOutcome: Sendable, Equatable {
    case delivered
    case retry(at: Date)
    /// The push service says the subscription is no more (404, 410): it is removed with its deliveries.
    case gone
    /// Refused for good (400, 403, 413, or the TTL is over).
    case failed
    /// Not sent (the batch was cut short by a shutdown): released as it was, no attempt counted.
    case unsent
}

/// Push subscriptions, what they follow, and the outbox of alerts, in SQLite (WAL). Like the webhook
/// outbox it is filled from the event log with the per-channel cursor in the same transaction. One
/// notification row per event and language holds the payload; the outbox holds one small row per
/// (notification, subscription), so 300,000 followers of one bill cost 300,000 short rows, not copies.
///
/// Deliveries are claimed in batches before they are sent and settled in batches after; claims left by
/// a crash are released at the next start, so a kill loses nothing and sends at most one batch twice.
public final class PushStore: Sendable {
    let database: SQLiteDatabase
    /// The followed keywords, read once and kept until a subscription changes: a final line is matched
    /// against them without scanning every follow row.
    let keywords = FollowedKeywords()

    private init(database: SQLiteDatabase) {
        self.database = database
    }

    public static func open(path: String) async throws -> PushStore {
        PushStore(database: try await SQLiteDatabase.open(path: path) {
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(sql: """
                    CREATE TABLE subscriptions (
                        id INTEGER PRIMARY KEY, endpoint TEXT NOT NULL UNIQUE, origin TEXT NOT NULL, p256dh TEXT NOT NULL, auth TEXT NOT NULL,
                        lang TEXT NOT NULL, follow TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL
                    );
                    CREATE TABLE follows (
                        kind TEXT NOT NULL, value TEXT NOT NULL, channel TEXT NOT NULL, subscription_id INTEGER NOT NULL,
                        PRIMARY KEY (kind, value, channel, subscription_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX follows_by_subscription ON follows (subscription_id);
                    CREATE TABLE notifications (
                        id INTEGER PRIMARY KEY, channel TEXT NOT NULL, dedupe TEXT NOT NULL, lang TEXT NOT NULL, seq INTEGER NOT NULL,
                        type TEXT NOT NULL, payload BLOB NOT NULL, urgency TEXT NOT NULL, ttl INTEGER NOT NULL,
                        created_at REAL NOT NULL, expires_at REAL NOT NULL,
                        queued INTEGER NOT NULL DEFAULT 0, delivered INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
                        gone INTEGER NOT NULL DEFAULT 0, UNIQUE (channel, dedupe, lang)
                    );
                    CREATE TABLE outbox (
                        notification_id INTEGER NOT NULL, subscription_id INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                        next_at REAL NOT NULL, claimed INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (notification_id, subscription_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX outbox_due ON outbox (claimed, next_at);
                    CREATE INDEX outbox_by_subscription ON outbox (subscription_id);
                    CREATE TABLE alerted (
                        notification_id INTEGER NOT NULL, subscription_id INTEGER NOT NULL, PRIMARY KEY (notification_id, subscription_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE cursors (channel TEXT PRIMARY KEY, seq INTEGER NOT NULL);
                    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    """)
            }
            FollowerQuarantine.register(in: &migrator)
            return migrator
        })
    }

    /// The VAPID key: `configured` when given, else the one kept here (made at the first start).
    public func vapidKey(configured: String, subject: String) async throws -> VAPIDKey {
        if !configured.isEmpty { return try VAPIDKey(privateKey: configured, subject: subject) }
        let fresh = try VAPIDKey(privateKey: nil, subject: subject).privateKey
        let kept = try await database.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO settings (key, value) VALUES ('vapid_private_key', ?)", arguments: [fresh])
            return try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'vapid_private_key'") ?? fresh
        }
        return try VAPIDKey(privateKey: kept, subject: subject)
    }

    // MARK: subscriptions

    /// Stores `subscription` with what it follows (replacing what its endpoint followed before). Returns
    /// its id and whether it is new.
    @discardableResult
    public func subscribe(_ subscription: PushSubscription, follow: PushFollow, lang: String, now: Date = Date()) async throws -> (id: Int64, created: Bool) {
        try await subscribe([(subscription, follow, lang)], now: now)[0]
    }

    /// Stores many subscriptions in one transaction (an import).
    public func subscribe(_ entries: [(PushSubscription, PushFollow, String)], now: Date = Date()) async throws -> [(id: Int64, created: Bool)] {
        let prepared = try entries.map { entry in (entry, try entry.0.recipient(allowHTTP: true).audience, try Self.json(entry.1)) }
        return try await database.write { db in
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO subscriptions (endpoint, origin, p256dh, auth, lang, follow, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth, lang = excluded.lang,
                    follow = excluded.follow, updated_at = excluded.updated_at
                """)
            let insertFollow = try db.cachedStatement(sql: "INSERT OR IGNORE INTO follows (kind, value, channel, subscription_id) VALUES (?, ?, ?, ?)")
            var results: [(id: Int64, created: Bool)] = []
            keywords.invalidate()
            for ((subscription, follow, lang), origin, followJSON) in prepared {
                let existing = try Int64.fetchOne(db, sql: "SELECT id FROM subscriptions WHERE endpoint = ?", arguments: [subscription.endpoint])
                try upsert.execute(arguments: [subscription.endpoint, origin, subscription.keys.p256dh, subscription.keys.auth, lang, followJSON,
                                               now.timeIntervalSince1970, now.timeIntervalSince1970])
                let id = try existing ?? Int64.fetchOne(db, sql: "SELECT id FROM subscriptions WHERE endpoint = ?", arguments: [subscription.endpoint]) ?? db.lastInsertedRowID
                if existing != nil { try db.execute(sql: "DELETE FROM follows WHERE subscription_id = ?", arguments: [id]) }
                for channel in follow.channels.isEmpty ? [""] : follow.channels {
                    for row in follow.rows { try insertFollow.execute(arguments: [row.kind, row.value, channel, id]) }
                }
                results.append((id, existing == nil))
            }
            return results
        }
    }

    /// Removes the subscription at `endpoint` with what it follows and its pending deliveries; false when
    /// there was none.
    public func unsubscribe(endpoint: String) async throws -> Bool {
        try await database.write { db in
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM subscriptions WHERE endpoint = ?", arguments: [endpoint]) else { return false }
            try Self.remove(subscription: id, in: db)
            keywords.invalidate()
            return true
        }
    }

    /// What the subscription at `endpoint` follows, or nil.
    public func follow(endpoint: String) async throws -> PushFollow? {
        try await database.read { db in
            try String.fetchOne(db, sql: "SELECT follow FROM subscriptions WHERE endpoint = ?", arguments: [endpoint])
                .flatMap { try? JSONDecoder().decode(PushFollow.self, from: Data($0.utf8)) }
        }
    }

    public func subscriptionCount() async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM subscriptions") ?? 0 }
    }

    private static func remove(subscription id: Int64, in db: Database) throws {
        try db.execute(sql: "DELETE FROM outbox WHERE subscription_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM follows WHERE subscription_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM subscriptions WHERE id = ?", arguments: [id])
    }

    // MARK: outbox

    public func cursor(channel: String) async throws -> Int64 {
        try await database.read { db in try Int64.fetchOne(db, sql: "SELECT seq FROM cursors WHERE channel = ?", arguments: [channel]) ?? 0 }
    }

    /// Queues each event's alert to every subscription that follows it (its bill, item or tag, or a
    /// keyword of a final transcript line), once per subscription and per line, and moves the channel's
    /// cursor to `seq`, in one transaction. `state` gives item titles; events older than `ttl` are passed
    /// over. Returns how many deliveries were queued.
    @discardableResult
    public func enqueue(_ events: [Event], channel: String, through seq: Int64, state: ChannelState, ttl: Double, now: Date = Date()) async throws -> Int {
        var prepared: [(event: Event, notifications: [(lang: String, payload: Data, urgency: String)])] = []
        // An event older than the TTL (a follower catching up after a long outage) alerts nobody: "taken up
        // now" hours later would mislead.
        for event in events where now.timeIntervalSince(event.at) < ttl {
            let notifications = try PushNotification.languages.compactMap { lang -> (String, Data, String)? in
                guard let notification = PushNotification(event: event, state: state, lang: lang) else { return nil }
                return (lang, try JSONEncoder().encode(notification), notification.urgency)
            }
            if !notifications.isEmpty { prepared.append((event, notifications)) }
        }
        let alerts = prepared
        return try await database.write { db in
            var queued = 0
            for (event, notifications) in alerts {
                let values = try FollowedValues.of(event, in: db, keywords: keywords)
                guard !values.isEmpty else { continue }
                let dedupe = PushNotification.dedupeKey(for: event)
                let isLine = event.type == .transcriptLine
                for (lang, payload, urgency) in notifications {
                    try db.execute(sql: """
                        INSERT OR IGNORE INTO notifications (channel, dedupe, lang, seq, type, payload, urgency, ttl, created_at, expires_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [channel, dedupe, lang, event.seq, event.type.rawValue, payload, urgency, Int(ttl),
                                         now.timeIntervalSince1970, now.timeIntervalSince1970 + ttl])
                    let notification: Int64
                    if db.changesCount > 0 {
                        notification = db.lastInsertedRowID
                    } else {
                        // The same event again: already queued. A line said again (corrected) may name a
                        // keyword more: its new followers get it, with the corrected text, and nobody twice.
                        guard isLine, let existing = try Int64.fetchOne(db, sql: "SELECT id FROM notifications WHERE channel = ? AND dedupe = ? AND lang = ?",
                                                                        arguments: [channel, dedupe, lang]) else { continue }
                        notification = existing
                        try db.execute(sql: "UPDATE notifications SET payload = ?, seq = ? WHERE id = ?", arguments: [payload, event.seq, notification])
                    }
                    try db.execute(sql: """
                        INSERT OR IGNORE INTO outbox (notification_id, subscription_id, next_at)
                        SELECT DISTINCT ?, f.subscription_id, ? FROM follows f JOIN subscriptions s ON s.id = f.subscription_id
                        WHERE s.lang = ? AND f.channel IN ('', ?) AND \(FollowedValues.condition)
                            AND NOT EXISTS (SELECT 1 FROM alerted a WHERE a.notification_id = ? AND a.subscription_id = f.subscription_id)
                        """, arguments: StatementArguments([notification, now.timeIntervalSince1970, lang, channel] as [any DatabaseValueConvertible])
                            + StatementArguments(try FollowedValues.arguments(values)) + StatementArguments([notification]))
                    let count = db.changesCount
                    queued += count
                    if isLine {
                        try db.execute(sql: "INSERT OR IGNORE INTO alerted SELECT notification_id, subscription_id FROM outbox WHERE notification_id = ?",
                                       arguments: [notification])
                    }
                    try db.execute(sql: "UPDATE notifications SET queued = queued + ? WHERE id = ?", arguments: [count, notification])
                }
            }
            try db.execute(sql: "INSERT INTO cursors (channel, seq) VALUES (?, ?) ON CONFLICT(channel) DO UPDATE SET seq = excluded.seq", arguments: [channel, seq])
            return queued
        }
    }

    /// Releases the claims a previous run left (it stopped before settling them): they go out again.
    public func releaseClaims() async throws {
        try await database.write { db in try db.execute(sql: "UPDATE outbox SET claimed = 0 WHERE claimed = 1") }
    }

    /// Claims up to `limit` due deliveries, oldest first.
    public func claim(now: Date = Date(), limit: Int) async throws -> [PushJob] {
        try await database.write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT o.notification_id, o.subscription_id, o.attempts, s.endpoint, s.origin, s.p256dh, s.auth, n.payload, n.urgency, n.ttl, n.expires_at
                FROM outbox o JOIN subscriptions s ON s.id = o.subscription_id JOIN notifications n ON n.id = o.notification_id
                WHERE o.claimed = 0 AND o.next_at <= ?
                ORDER BY o.next_at LIMIT ?
                """, arguments: [now.timeIntervalSince1970, limit])
            let mark = try db.cachedStatement(sql: "UPDATE outbox SET claimed = 1 WHERE notification_id = ? AND subscription_id = ?")
            return try rows.map { row in
                let job = PushJob(
                    notificationId: row["notification_id"], subscriptionId: row["subscription_id"],
                    subscription: PushSubscription(unchecked: row["endpoint"], p256dh: row["p256dh"], auth: row["auth"]),
                    origin: row["origin"], payload: row["payload"], urgency: row["urgency"], ttl: row["ttl"],
                    expiresAt: Date(timeIntervalSince1970: row["expires_at"]), attempts: row["attempts"]
                )
                try mark.execute(arguments: [job.notificationId, job.subscriptionId])
                return job
            }
        }
    }

    /// Moves the waiting deliveries to `origin` (a push service that answered 429) to `date`.
    public func postpone(origin: String, until date: Date) async throws {
        try await database.write { db in
            try db.execute(sql: """
                UPDATE outbox SET next_at = ? WHERE claimed = 0 AND next_at < ?
                    AND subscription_id IN (SELECT id FROM subscriptions WHERE origin = ?)
                """, arguments: [date.timeIntervalSince1970, date.timeIntervalSince1970, origin])
        }
    }

    /// When the next unclaimed delivery is due (nil: none is pending).
    public func nextDue() async throws -> Date? {
        try await database.read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(next_at) FROM outbox WHERE claimed = 0").map(Date.init(timeIntervalSince1970:))
        }
    }

    /// Settles attempts in one transaction: delivered and failed ones leave the outbox (counted on their
    /// notification), retries are released for their time, gone subscriptions are removed.
    public func settle(_ results: [(job: PushJob, outcome: PushOutcome)]) async throws {
        guard !results.isEmpty else { return }
        try await database.write { db in
            let drop = try db.cachedStatement(sql: "DELETE FROM outbox WHERE notification_id = ? AND subscription_id = ?")
            let retry = try db.cachedStatement(sql: "UPDATE outbox SET claimed = 0, attempts = attempts + 1, next_at = ? WHERE notification_id = ? AND subscription_id = ?")
            var counts: [Int64: (delivered: Int, failed: Int, gone: Int)] = [:]
            for (job, outcome) in results {
                switch outcome {
                case .delivered:
                    try drop.execute(arguments: [job.notificationId, job.subscriptionId])
                    counts[job.notificationId, default: (0, 0, 0)].delivered += 1
                case .failed:
                    try drop.execute(arguments: [job.notificationId, job.subscriptionId])
                    counts[job.notificationId, default: (0, 0, 0)].failed += 1
                case .retry(let at):
                    try retry.execute(arguments: [at.timeIntervalSince1970, job.notificationId, job.subscriptionId])
                case .unsent:
                    try db.execute(sql: "UPDATE outbox SET claimed = 0 WHERE notification_id = ? AND subscription_id = ?",
                                   arguments: [job.notificationId, job.subscriptionId])
                case .gone:
                    try Self.remove(subscription: job.subscriptionId, in: db)
                    keywords.invalidate()
                    counts[job.notificationId, default: (0, 0, 0)].gone += 1
                }
            }
            for (id, count) in counts {
                try db.execute(sql: "UPDATE notifications SET delivered = delivered + ?, failed = failed + ?, gone = gone + ? WHERE id = ?",
                               arguments: [count.delivered, count.failed, count.gone, id])
            }
        }
    }

    /// Pending deliveries and subscriptions, for metrics.
    public func counts() async throws -> (pending: Int, subscriptions: Int) {
        try await database.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM subscriptions") ?? 0)
        }
    }

    /// Forgets notifications older than `date` that have nothing left in the outbox.
    public func prune(before date: Date) async throws {
        try await database.write { db in
            try db.execute(sql: """
                DELETE FROM notifications WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM outbox WHERE notification_id = notifications.id)
                """, arguments: [date.timeIntervalSince1970])
            try db.execute(sql: "DELETE FROM alerted WHERE notification_id NOT IN (SELECT id FROM notifications)")
        }
    }

    public func quarantine(channel: String, seq: Int64, type: String, reason: String) async throws {
        try await FollowerQuarantine.setAside(in: database, channel: channel, seq: seq, type: type, reason: reason, at: ISO8601.format(Date()))
    }

    private static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }
}
