import Foundation
import GRDB
import Relay
import Storage
import WallClock

/// Webhooks, their outbox and the record of attempts, in SQLite (WAL, synchronous=FULL). The outbox is
/// filled from the event log in `seq` order with the per-channel cursor in the same transaction, so every
/// stored event is considered exactly once, and a delivery, once written, survives any restart until it
/// is delivered or given up.
public final class WebhookStore: Sendable {
    let database: SQLiteDatabase

    private init(database: SQLiteDatabase) {
        self.database = database
    }

    /// Opens (creating if needed) the store at `path`.
    public static func open(path: String) async throws -> WebhookStore {
        WebhookStore(database: try await SQLiteDatabase.open(path: path) {
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(sql: """
                    CREATE TABLE webhooks (
                        id TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, filter TEXT NOT NULL, owner TEXT NOT NULL,
                        status TEXT NOT NULL, disabled_reason TEXT, failures INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL
                    );
                    CREATE TABLE deliveries (
                        id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL, channel TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,
                        payload BLOB NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at TEXT,
                        created_at TEXT NOT NULL, UNIQUE (webhook_id, channel, seq)
                    );
                    CREATE INDEX deliveries_due ON deliveries (status, next_at);
                    CREATE INDEX deliveries_by_webhook ON deliveries (webhook_id, created_at);
                    CREATE TABLE attempts (
                        delivery_id TEXT NOT NULL, number INTEGER NOT NULL, at TEXT NOT NULL, status_code INTEGER, error TEXT,
                        milliseconds INTEGER NOT NULL, PRIMARY KEY (delivery_id, number)
                    );
                    CREATE TABLE cursors (channel TEXT PRIMARY KEY, seq INTEGER NOT NULL);
                    """)
            }
            FollowerQuarantine.register(in: &migrator)
            return migrator
        })
    }

    // MARK: endpoints

    public func create(_ webhook: Webhook, secret: String) async throws {
        let filter = try Self.json(webhook.filter)
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO webhooks (id, url, secret, filter, owner, status, created_at) VALUES (?, ?, ?, ?, ?, 'active', ?)
                """, arguments: [webhook.id, webhook.url, secret, filter, webhook.owner, ISO8601.format(webhook.createdAt)])
        }
    }

    public func webhooks() async throws -> [Webhook] {
        try await database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM webhooks ORDER BY created_at").compactMap(Self.webhook) }
    }

    public func webhook(id: String) async throws -> Webhook? {
        try await database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM webhooks WHERE id = ?", arguments: [id]).flatMap(Self.webhook) }
    }

    /// Removes an endpoint with its pending deliveries and history.
    public func delete(id: String) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE webhook_id = ?)", arguments: [id])
            try db.execute(sql: "DELETE FROM deliveries WHERE webhook_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM webhooks WHERE id = ?", arguments: [id])
        }
    }

    /// Turns a disabled endpoint back on; its failed count starts again and held deliveries go out.
    public func enable(id: String, now: Date = Date()) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE webhooks SET status = 'active', disabled_reason = NULL, failures = 0 WHERE id = ?", arguments: [id])
            try db.execute(sql: "UPDATE deliveries SET next_at = ? WHERE webhook_id = ? AND status = 'pending'", arguments: [ISO8601.format(now), id])
        }
    }

    // MARK: outbox

    public func cursor(channel: String) async throws -> Int64 {
        try await database.read { db in try Int64.fetchOne(db, sql: "SELECT seq FROM cursors WHERE channel = ?", arguments: [channel]) ?? 0 }
    }

    /// Queues a delivery of each event to every active endpoint whose filter matches, and moves the
    /// channel's cursor to `seq`, in one transaction. Returns how many deliveries were queued.
    @discardableResult
    public func enqueue(_ events: [Event], channel: String, through seq: Int64, now: Date = Date()) async throws -> Int {
        let payloads = try events.map { try EventCoding.encoder.encode($0) }
        return try await database.write { db in
            // Disabled endpoints are queued for too: their deliveries wait for `enable`.
            let endpoints = try Row.fetchAll(db, sql: "SELECT * FROM webhooks").compactMap(Self.webhook)
            var queued = 0
            let insert = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO deliveries (id, webhook_id, channel, seq, type, payload, status, next_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)
                """)
            for (event, payload) in zip(events, payloads) {
                for endpoint in endpoints where endpoint.filter.matches(event) {
                    try insert.execute(arguments: [
                        UUID().uuidString.lowercased(), endpoint.id, event.channel, event.seq, event.type.rawValue, payload,
                        ISO8601.format(now), ISO8601.format(now),
                    ])
                    queued += db.changesCount
                }
            }
            try db.execute(sql: "INSERT INTO cursors (channel, seq) VALUES (?, ?) ON CONFLICT(channel) DO UPDATE SET seq = excluded.seq", arguments: [channel, seq])
            return queued
        }
    }

    /// Deliveries due at `now` of active endpoints, oldest first, leaving out `busy` deliveries and the
    /// endpoints in `saturated` (so one endpoint's backlog never hides the others' work).
    public func due(now: Date = Date(), limit: Int = 100, excluding busy: Set<String> = [], saturated: Set<String> = []) async throws -> [DeliveryJob] {
        let skip = try Self.json(Array(saturated))
        return try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.id, d.webhook_id, d.type, d.payload, d.attempts, d.created_at, w.url, w.secret
                FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
                WHERE d.status = 'pending' AND d.next_at <= ? AND w.status = 'active'
                    AND d.webhook_id NOT IN (SELECT value FROM json_each(?))
                ORDER BY d.next_at, d.seq LIMIT ?
                """, arguments: [ISO8601.format(now), skip, limit + busy.count]).compactMap { row -> DeliveryJob? in
                let id: String = row["id"]
                guard !busy.contains(id), let created = ISO8601.parse(row["created_at"]) else { return nil }
                return DeliveryJob(deliveryId: id, webhookId: row["webhook_id"], url: row["url"], secret: row["secret"], type: row["type"],
                                   payload: row["payload"], attempts: row["attempts"], createdAt: created)
            }.prefix(limit).map { $0 }
        }
    }

    /// The earliest time a pending delivery of an active endpoint is due, leaving out deliveries being
    /// sent and endpoints with no room for more.
    public func nextDue(excluding busy: Set<String> = [], saturated: Set<String> = []) async throws -> Date? {
        let (skipDeliveries, skipEndpoints) = (try Self.json(Array(busy)), try Self.json(Array(saturated)))
        return try await database.read { db in
            try String.fetchOne(db, sql: """
                SELECT MIN(d.next_at) FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
                WHERE d.status = 'pending' AND w.status = 'active' AND d.id NOT IN (SELECT value FROM json_each(?))
                    AND d.webhook_id NOT IN (SELECT value FROM json_each(?))
                """, arguments: [skipDeliveries, skipEndpoints]).flatMap(ISO8601.parse)
        }
    }

    /// What became of one attempt.
    public enum Outcome: Sendable, Equatable {
        case delivered
        /// Failed; try again at this time.
        case retry(at: Date)
        /// Failed for the last time (the retry period is over).
        case gaveUp
    }

    /// Records an attempt and its outcome; an endpoint that reaches `maxFailures` failed attempts in a row
    /// is disabled. Returns the endpoint's reason when this attempt disabled it.
    @discardableResult
    public func record(_ job: DeliveryJob, statusCode: Int?, error: String?, milliseconds: Int, outcome: Outcome, maxFailures: Int, now: Date = Date()) async throws -> String? {
        try await database.write { db in
            let number = job.attempts + 1
            try db.execute(sql: "INSERT OR REPLACE INTO attempts (delivery_id, number, at, status_code, error, milliseconds) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [job.deliveryId, number, ISO8601.format(now), statusCode, error, milliseconds])
            switch outcome {
            case .delivered:
                try db.execute(sql: "UPDATE deliveries SET status = 'delivered', attempts = ?, next_at = NULL WHERE id = ?", arguments: [number, job.deliveryId])
                try db.execute(sql: "UPDATE webhooks SET failures = 0 WHERE id = ?", arguments: [job.webhookId])
                return nil
            case .retry(let date):
                try db.execute(sql: "UPDATE deliveries SET attempts = ?, next_at = ? WHERE id = ?", arguments: [number, ISO8601.format(date), job.deliveryId])
            case .gaveUp:
                try db.execute(sql: "UPDATE deliveries SET status = 'failed', attempts = ?, next_at = NULL WHERE id = ?", arguments: [number, job.deliveryId])
            }
            try db.execute(sql: "UPDATE webhooks SET failures = failures + 1 WHERE id = ?", arguments: [job.webhookId])
            let failures = try Int.fetchOne(db, sql: "SELECT failures FROM webhooks WHERE id = ? AND status = 'active'", arguments: [job.webhookId]) ?? 0
            guard failures >= maxFailures else { return nil }
            let last = statusCode.map { "HTTP \($0)" } ?? error ?? "no answer"
            let reason = "\(failures) failed attempts in a row; last: \(last)"
            try db.execute(sql: "UPDATE webhooks SET status = 'disabled', disabled_reason = ? WHERE id = ?", arguments: [reason, job.webhookId])
            return reason
        }
    }

    /// The newest deliveries of an endpoint with their attempts.
    public func deliveries(webhookId: String, limit: Int = 50) async throws -> [Delivery] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM deliveries WHERE webhook_id = ? ORDER BY created_at DESC, seq DESC LIMIT ?", arguments: [webhookId, limit])
                .compactMap { row -> Delivery? in
                    let id: String = row["id"]
                    guard let status = Delivery.Status(rawValue: row["status"]), let created = ISO8601.parse(row["created_at"]) else { return nil }
                    let attempts = try Row.fetchAll(db, sql: "SELECT * FROM attempts WHERE delivery_id = ? ORDER BY number", arguments: [id]).map { attempt in
                        Delivery.Attempt(number: attempt["number"], at: ISO8601.parse(attempt["at"]) ?? created, statusCode: attempt["status_code"],
                                         error: attempt["error"], milliseconds: attempt["milliseconds"])
                    }
                    return Delivery(id: id, webhookId: webhookId, channel: row["channel"], seq: row["seq"], type: row["type"], status: status,
                                    attempts: attempts, nextAttemptAt: (row["next_at"] as String?).flatMap(ISO8601.parse), createdAt: created)
                }
        }
    }

    /// Forgets delivered and given-up deliveries (with their attempts) created before `date`; pending ones
    /// stay whatever their age. Returns how many went.
    @discardableResult
    public func prune(before date: Date) async throws -> Int {
        try await database.write { db in
            let old = "SELECT id FROM deliveries WHERE status != 'pending' AND created_at < ?"
            try db.execute(sql: "DELETE FROM attempts WHERE delivery_id IN (\(old))", arguments: [ISO8601.format(date)])
            try db.execute(sql: "DELETE FROM deliveries WHERE status != 'pending' AND created_at < ?", arguments: [ISO8601.format(date)])
            return db.changesCount
        }
    }

    /// Sets aside the event `seq` of `channel`, which cannot be queued, and moves the cursor past it, so
    /// the events after it flow on. The reason stays in the `quarantine` table.
    public func quarantine(channel: String, seq: Int64, type: String, reason: String) async throws {
        try await FollowerQuarantine.setAside(in: database, channel: channel, seq: seq, type: type, reason: reason, at: ISO8601.format(Date()))
    }

    /// Counts for metrics: pending deliveries and disabled endpoints.
    public func counts() async throws -> (pending: Int, disabled: Int) {
        try await database.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deliveries WHERE status = 'pending'") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM webhooks WHERE status = 'disabled'") ?? 0)
        }
    }

    private static func webhook(_ row: Row) -> Webhook? {
        guard let status = Webhook.Status(rawValue: row["status"]), let created = ISO8601.parse(row["created_at"]),
              let filter = try? JSONDecoder().decode(Webhook.Filter.self, from: Data((row["filter"] as String).utf8)) else { return nil }
        return Webhook(id: row["id"], url: row["url"], filter: filter, owner: row["owner"], status: status,
                       disabledReason: row["disabled_reason"], failures: row["failures"], createdAt: created)
    }

    private static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }
}
