import Foundation
import GRDB

/// A SQLite database (WAL, `synchronous=FULL`: a committed write survives a power loss) reached only
/// through async calls.
///
/// GRDB also has synchronous `read`/`write`, and Swift picks them silently when a closure's result is not
/// `Sendable` (a `Row`). They park the calling thread on a semaphore until a connection is free; on the
/// cooperative pool that stops the server, and it deadlocks, because the async reads holding the
/// connections need a pool thread to hand them back. This type keeps the `DatabasePool` to itself and
/// offers only the async forms, so such a call does not compile; it also opens the file and runs the
/// migrations off the pool.
public final class SQLiteDatabase: Sendable {
    private let pool: DatabasePool

    private init(pool: DatabasePool) {
        self.pool = pool
    }

    /// Opens (creating the folder and the file if needed) the database at `path` and migrates it.
    public static func open(path: String, migrations: @escaping @Sendable () -> DatabaseMigrator) async throws -> SQLiteDatabase {
        try await offThePool {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true
            )
            var configuration = Configuration()
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            let pool = try DatabasePool(path: path, configuration: configuration)
            try migrations().migrate(pool)
            return SQLiteDatabase(pool: pool)
        }
    }

    /// Runs `body` in a read transaction, on one of GRDB's reader connections. Its result must be a
    /// value (decode rows inside `body`).
    public func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }

    /// Runs `body` in a write transaction: committed when it returns, rolled back when it throws.
    public func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        try await pool.write(body)
    }
}
