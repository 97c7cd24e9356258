import Foundation

/// A throwaway PostgreSQL cluster on 127.0.0.1 (Debian's `postgresql` package): initdb in a temporary
/// folder, started with pg_ctl, removed at `stop()`. PostgreSQL refuses to run as root, so under root the
/// commands run as the `postgres` user the package creates.
final class PostgresCluster: @unchecked Sendable {
    // @unchecked: set up once, then only read.
    let port: Int
    let folder: URL
    private let bin: String
    private var stopped = false

    /// `postgres://` URL of the cluster's `postgres` database (trust authentication, no TLS).
    var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres?sslmode=disable" }

    init() throws {
        guard let bin = Self.binaries() else {
            throw FixtureError(message: "PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)")
        }
        self.bin = bin
        port = try Spawn.freePort()
        folder = URL(fileURLWithPath: "/tmp/senate-live-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if geteuid() == 0 { _ = Spawn.run("/bin/chown", ["postgres:postgres", folder.path]) }
        let data = folder.appendingPathComponent("data").path
        guard run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]) == 0 else {
            throw FixtureError(message: "initdb failed in \(folder.path)")
        }
        try start()
    }

    /// Starts the server (again).
    func start() throws {
        let options = "-p \(port) -k \(folder.path) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        let data = folder.appendingPathComponent("data").path
        guard run("pg_ctl", ["-D", data, "-l", folder.appendingPathComponent("log").path, "-o", options, "-w", "-t", "60", "start"]) == 0 else {
            throw FixtureError(message: "pg_ctl start failed: \(log)")
        }
    }

    /// Stops the server, keeping its data (a database outage).
    func pause() {
        _ = run("pg_ctl", ["-D", folder.appendingPathComponent("data").path, "-m", "fast", "-w", "stop"])
    }

    var log: String { (try? String(contentsOf: folder.appendingPathComponent("log"), encoding: .utf8)) ?? "" }

    /// Runs SQL with psql; returns what it printed (unaligned, tuples only).
    @discardableResult
    func sql(_ statement: String) throws -> String {
        let result = try Tool.run("psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", "postgres", "-At", "-v", "ON_ERROR_STOP=1", "-c", statement])
        guard result.succeeded else { throw FixtureError(message: "psql: \(result.stderr)") }
        return result.stdout
    }

    func stop() {
        guard !stopped else { return }
        stopped = true
        _ = run("pg_ctl", ["-D", folder.appendingPathComponent("data").path, "-m", "immediate", "stop"])
        try? FileManager.default.removeItem(at: folder)
    }

    deinit { stop() }

    private func run(_ tool: String, _ arguments: [String]) -> Int32 {
        if geteuid() == 0 { return Spawn.run("/usr/sbin/runuser", ["-u", "postgres", "--", "\(bin)/\(tool)"] + arguments) }
        return Spawn.run("\(bin)/\(tool)", arguments)
    }

    /// The newest `/usr/lib/postgresql/N/bin` holding initdb.
    private static func binaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        return versions.map { "\(root)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }
}
