import Foundation
import Logging
import PostgresNIO
import Relay
import Synchronization

/// `SharedEventLog` in PostgreSQL: several relay nodes append to the same channels.
///
/// - A write locks the channel's row in `relay_channels` (`SELECT … FOR UPDATE`) inside its transaction,
///   so seqs stay gap-free and ordered per channel whichever node writes, and an id stored by any node is
///   seen by the next writer (idempotency across nodes; the unique index on `(channel, id)` backs it).
/// - The transaction ends with `pg_notify('senate_live_events', 'CHANNEL SEQ')`, which PostgreSQL delivers
///   on commit only. A dedicated connection LISTENs; after it (re)connects it reports `.resync`, since
///   notifications sent while it was away are lost: readers then read the table by seq.
public final class PostgresEventLog: SharedEventLog, Sendable {
    /// The NOTIFY channel.
    public static let notifyChannel = "senate_live_events"
    private let client: PostgresClient
    private let connection: PostgresConnection.Configuration
    private let history: Int64
    /// Longest wait for a read or a write (and for the tables at start-up).
    private let queryTimeout: Duration
    private let logger: Logger
    private let clientTask: Task<Void, Never>
    private let listening = Atomic<Bool>(false)
    private let (changeStream, changeSink) = AsyncStream.makeStream(of: SharedLogChange.self, bufferingPolicy: .bufferingNewest(4096))
    /// Holds the ingest lock (see `claimIngest`) for the life of the log.
    private let ingestLock = Mutex<PostgresConnection?>(nil)

    /// Connects to `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`)
    /// and creates the tables if they are missing.
    public init(url: String, history: Int64 = 100_000, queryTimeout: Duration = .seconds(10), logger: Logger) async throws {
        let settings = try PostgresURL(url)
        connection = settings.connectionConfiguration
        client = PostgresClient(configuration: settings.clientConfiguration(statementTimeout: queryTimeout), backgroundLogger: logger)
        let client = client
        // The pool runs from here to `close()`, not as a service of the group: the server reads every
        // channel's head and takes the ingest lock through it before the group starts.
        clientTask = Task { await client.run() }
        // Lets the pool's run loop start first: a lease before it logs a warning (it would still be served).
        try? await Task.sleep(for: .milliseconds(20))
        self.history = max(1, history)
        self.queryTimeout = queryTimeout
        self.logger = logger
        do {
            // The pool retries a refused connection for ever: a start-up that cannot reach the database
            // says so instead of hanging.
            try await Self.within(queryTimeout + .seconds(5), "cannot reach PostgreSQL at \(settings.host):\(settings.port)") { [self] in
                try await createTables()
            }
        } catch {
            clientTask.cancel()
            throw error
        }
    }

    /// Takes the store's ingest lock (a session advisory lock on a connection kept open): only one node may
    /// run the inputs, the archive and the webhooks. False when another node holds it. PostgreSQL releases
    /// it when that node's connection ends; server-side TCP keepalives end a dead peer's within ~30 s.
    public func claimIngest() async throws -> Bool {
        var configuration = connection
        configuration.options.additionalStartupParameters = [
            ("tcp_keepalives_idle", "10"), ("tcp_keepalives_interval", "5"), ("tcp_keepalives_count", "3"),
            ("application_name", "senate-live ingest lock"),
        ]
        let lockConnection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        var held = false
        let rows = try await lockConnection.query("SELECT pg_try_advisory_lock(7262803)", logger: logger)
        for try await granted in rows.decode(Bool.self) { held = granted }
        guard held else {
            try? await lockConnection.close()
            return false
        }
        ingestLock.withLock { $0 = lockConnection }
        return true
    }

    /// Closes the connections (after the service running `listen()` has stopped).
    public func close() async {
        if let lockConnection = ingestLock.withLock({ connection in defer { connection = nil }; return connection }) {
            try? await lockConnection.close()
        }
        changeSink.finish()
        clientTask.cancel()
        await clientTask.value
    }

    /// Whether the database answers (within `timeout`) and the notification connection is up.
    public func health(timeout: Duration = .seconds(2)) async -> (store: Bool, notifier: Bool) {
        let answered = try? await Self.within(timeout, "no answer") { [client, logger] in
            try await client.query("SELECT 1", logger: logger)
        }
        return (answered != nil, listening.load(ordering: .relaxed))
    }

    // MARK: EventLog

    public func head(channel: String) async throws -> (seq: Int64, state: ChannelState) {
        try await answered { [client, logger] in
            let rows = try await client.query("SELECT seq, state FROM relay_channels WHERE channel = \(channel)", logger: logger)
            for try await (seq, state) in rows.decode((Int64, String).self) {
                return (seq, try StoredEventCoding.state(from: state))
            }
            return (0, ChannelState())
        }
    }

    /// Single-writer append; this log's writers use `appendLocked`.
    public func append(_ events: [Event], state: ChannelState) async throws {
        guard let channel = events.first?.channel else { return }
        let _: Bool = try await appendLocked(channel: channel) { _, _, _ in (events, state, true) }
    }

    public func events(channel: String, after: Int64, limit: Int) async throws -> [Event] {
        try await answered { [client, logger] in
            try await client.withConnection { connection in
                try await Self.events(on: connection, inTransaction: false, query: """
                    SELECT channel, seq, id, sitting, type, at, data, subject FROM relay_events
                    WHERE channel = \(channel) AND seq > \(after) ORDER BY seq LIMIT \(limit)
                    """, logger: logger)
            }
        }
    }

    public func event(channel: String, id: String) async throws -> Event? {
        try await answered { [client, logger] in
            try await client.withConnection { connection in
                try await Self.event(on: connection, inTransaction: false, channel: channel, id: id, logger: logger)
            }
        }
    }

    public func oldestSeq(channel: String) async throws -> Int64? {
        try await answered { [client, logger] in
            let rows = try await client.query("SELECT MIN(seq) FROM relay_events WHERE channel = \(channel)", logger: logger)
            for try await seq in rows.decode(Int64?.self) { return seq }
            return nil
        }
    }

    // MARK: SharedEventLog

    public func appendLocked<Value: Sendable>(
        channel: String,
        _ prepare: @escaping @Sendable (_ seq: Int64, _ state: ChannelState, _ lookup: StoredEventLookup) async throws -> (events: [Event], state: ChannelState, value: Value)
    ) async throws -> Value {
        // A write that times out may still commit: publishers retry with the same id (idempotent).
        try await answered { [client, logger, history] in
            try await client.withConnection { connection in
                try await Self.inTransaction(on: connection, logger: logger) {
                    try await Self.appendInTransaction(on: connection, channel: channel, history: history, logger: logger, prepare)
                }
            }
        }
    }

    public func changes() -> AsyncStream<SharedLogChange> { changeStream }

    // MARK: Internals

    /// Runs `body`, or throws `message` after `limit`. The connection pool waits for ever for a database
    /// that is down; a publisher or a subscriber's replay should get an error (503) instead. (A query
    /// already sent is not cancelled by this; the session's `statement_timeout` ends it on the server.)
    private static func within<T: Sendable>(_ limit: Duration, _ message: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: TimedOutcome<T>.self) { group in
            group.addTask { .done(try await body()) }
            group.addTask {
                try await Task.sleep(for: limit)
                return .timedOut
            }
            defer { group.cancelAll() }
            guard case .done(let value)? = try await group.next() else { throw PostgresStoreError(message) }
            return value
        }
    }

    /// Runs `body` between BEGIN and COMMIT; ROLLBACK and rethrow when it throws.
    private static func inTransaction<T>(on connection: PostgresConnection, logger: Logger, _ body: () async throws -> T) async throws -> T {
        try await connection.query("BEGIN", logger: logger)
        do {
            let value = try await body()
            try await connection.query("COMMIT", logger: logger)
            return value
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// `body` within `queryTimeout`.
    private func answered<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await Self.within(queryTimeout, "PostgreSQL did not answer within \(queryTimeout)", body)
    }

    private static func appendInTransaction<Value: Sendable>(
        on connection: PostgresConnection, channel: String, history: Int64, logger: Logger,
        _ prepare: @Sendable (Int64, ChannelState, StoredEventLookup) async throws -> (events: [Event], state: ChannelState, value: Value)
    ) async throws -> Value {
        // The row exists before it is locked, so the first writes of a new channel serialize too.
        let empty = try StoredEventCoding.text(of: ChannelState())
        try await connection.query("INSERT INTO relay_channels (channel, seq, state) VALUES (\(channel), 0, \(empty)) ON CONFLICT (channel) DO NOTHING", logger: logger)
        var head: (Int64, String)?
        for try await row in try await connection.query("SELECT seq, state FROM relay_channels WHERE channel = \(channel) FOR UPDATE", logger: logger).decode((Int64, String).self) {
            head = row
        }
        guard let (seq, stateText) = head else { throw RelayError(.unavailable, code: "store_corrupt", "channel row of \(channel) vanished") }
        let prepared = try await prepare(seq, try StoredEventCoding.state(from: stateText)) { id in
            try await event(on: connection, inTransaction: true, channel: channel, id: id, logger: logger)
        }
        guard let last = prepared.events.last else { return prepared.value }
        for event in prepared.events {
            let row = try StoredEventCoding.row(of: event)
            try await connection.query("""
                INSERT INTO relay_events (channel, seq, id, sitting, type, at, data, subject)
                VALUES (\(channel), \(row.seq), \(row.id), \(row.sitting), \(row.type), \(row.at), \(row.data), \(row.subject))
                """, logger: logger)
        }
        let newState = try StoredEventCoding.text(of: prepared.state)
        try await connection.query("UPDATE relay_channels SET seq = \(last.seq), state = \(newState) WHERE channel = \(channel)", logger: logger)
        // Trim history in steps of 1000 so the delete is rare and cheap.
        if last.seq % 1000 < Int64(prepared.events.count) && last.seq > history {
            try await connection.query("DELETE FROM relay_events WHERE channel = \(channel) AND seq <= \(last.seq - history)", logger: logger)
        }
        let payload = "\(channel) \(last.seq)"
        try await connection.query("SELECT pg_notify(\(notifyChannel), \(payload))", logger: logger)
        return prepared.value
    }

    private static func event(on connection: PostgresConnection, inTransaction: Bool, channel: String, id: String, logger: Logger) async throws -> Event? {
        try await events(on: connection, inTransaction: inTransaction, query: """
            SELECT channel, seq, id, sitting, type, at, data, subject FROM relay_events WHERE channel = \(channel) AND id = \(id)
            """, logger: logger).first
    }

    /// The events `query` selects; rows that do not read as events are moved to `relay_quarantined_events`
    /// (within the caller's transaction, or one of their own) and left out.
    private static func events(on connection: PostgresConnection, inTransaction: Bool, query: PostgresQuery, logger: Logger) async throws -> [Event] {
        var rows: [StoredEventRow] = []
        let result = try await connection.query(query, logger: logger)
        for try await (channel, seq, id, sitting, type, at, data, subject) in result.decode((String, Int64, String, String?, String, String, String, String?).self) {
            rows.append(StoredEventRow(channel: channel, seq: seq, id: id, sitting: sitting, type: type, at: at, data: data, subject: subject))
        }
        let (events, unreadable) = StoredEventCoding.events(rows)
        guard !unreadable.isEmpty else { return events }
        let move = {
            for bad in unreadable {
                let row = bad.row
                try await connection.query("""
                    INSERT INTO relay_quarantined_events (channel, seq, id, sitting, type, at, data, subject, reason)
                    VALUES (\(row.channel), \(row.seq), \(row.id), \(row.sitting), \(row.type), \(row.at), \(row.data), \(row.subject), \(bad.reason))
                    ON CONFLICT (channel, seq) DO NOTHING
                    """, logger: logger)
                try await connection.query("DELETE FROM relay_events WHERE channel = \(row.channel) AND seq = \(row.seq)", logger: logger)
            }
        }
        if inTransaction { try await move() } else { try await Self.inTransaction(on: connection, logger: logger, move) }
        for bad in unreadable {
            Quarantine.record(store: "event_log", channel: bad.row.channel, seq: bad.row.seq, reason: bad.reason, logger: logger)
        }
        return events
    }

    private func createTables() async throws {
        try await client.withConnection { connection in
            try await Self.inTransaction(on: connection, logger: logger) {
                // Nodes starting together would race on CREATE TABLE IF NOT EXISTS: one at a time.
                try await connection.query("SELECT pg_advisory_xact_lock(7262801)", logger: logger)
                try await connection.query("""
                    CREATE TABLE IF NOT EXISTS relay_events (
                        channel TEXT NOT NULL, seq BIGINT NOT NULL, id TEXT NOT NULL, sitting TEXT,
                        type TEXT NOT NULL, at TEXT NOT NULL, data TEXT NOT NULL, subject TEXT,
                        PRIMARY KEY (channel, seq))
                    """, logger: logger)
                try await connection.query("CREATE UNIQUE INDEX IF NOT EXISTS relay_events_id ON relay_events (channel, id)", logger: logger)
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS relay_channels (channel TEXT PRIMARY KEY, seq BIGINT NOT NULL, state TEXT NOT NULL)",
                    logger: logger
                )
                try await connection.query("""
                    CREATE TABLE IF NOT EXISTS relay_quarantined_events (
                        channel TEXT NOT NULL, seq BIGINT NOT NULL, id TEXT, sitting TEXT, type TEXT, at TEXT, data TEXT, subject TEXT,
                        reason TEXT NOT NULL, quarantined_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (channel, seq))
                    """, logger: logger)
            }
        }
    }

    /// Fails when the LISTEN connection stops hearing anything (`ListenerHeartbeat`).
    private func watch(_ heard: LastHeard) async throws {
        var heartbeat = ListenerHeartbeat()
        let ping = "ping \(UUID().uuidString)"
        while true {
            switch heartbeat.next(sinceHeard: heard.age) {
            case .sleep(let pause):
                try await Task.sleep(for: pause)
            case .ping(let pause):
                _ = try? await answered { [client, logger] in
                    try await client.query("SELECT pg_notify(\(Self.notifyChannel), \(ping))", logger: logger)
                }
                try await Task.sleep(for: pause)
            case .stale(let reason):
                throw ListenerStale(reason: reason)
            }
        }
    }

    /// Keeps a LISTEN connection open until cancelled, reconnecting after a failure: run by the service
    /// that follows the log (`changes()`), for the life of the server.
    public func listen() async {
        var attempt = 0
        while !Task.isCancelled {
            do {
                // The async form: cancellable, so `close()` does not wait out a connect timeout.
                let connection = try await PostgresConnection.connect(configuration: connection, id: 0, logger: logger)
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: Self.notifyChannel) { notifications in
                    listening.store(true, ordering: .relaxed)
                    attempt = 0
                    // Anything sent before LISTEN took effect is read from the table.
                    changeSink.yield(.resync)
                    let heard = LastHeard()
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { [changeSink] in
                            for try await notification in notifications {
                                heard.touch()
                                let parts = notification.payload.split(separator: " ")
                                if parts.count == 2, let seq = Int64(parts[1]) {
                                    changeSink.yield(.appended(channel: String(parts[0]), seq: seq))
                                }
                            }
                            throw ListenerStale(reason: "the notification stream ended")
                        }
                        group.addTask { try await self.watch(heard) }
                        // Either ends only by throwing: reconnect.
                        try await group.next()
                        group.cancelAll()
                    }
                }
            } catch {
                if !Task.isCancelled {
                    logger.warning("shared event log: notification connection lost; reconnecting", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
            listening.store(false, ordering: .relaxed)
            attempt += 1
            try? await Task.sleep(for: .milliseconds(min(5000, 250 * attempt)))
        }
    }
}

/// What finished first in `PostgresEventLog.within`.
private enum TimedOutcome<T: Sendable>: Sendable {
    case done(T)
    case timedOut
}

/// When the LISTEN connection last heard a notification (any: other nodes' events or its own ping).
private final class LastHeard: Sendable {
    private let instant = Mutex(ContinuousClock.now)
    func touch() { instant.withLock { $0 = .now } }
    var age: Duration { ContinuousClock.now - instant.withLock { $0 } }
}

/// The LISTEN connection stopped working without an error of its own.
private struct ListenerStale: Error, CustomStringConvertible {
    let reason: String
    var description: String { "notification connection stale: \(reason)" }
}
