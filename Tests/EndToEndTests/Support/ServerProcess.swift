import Foundation

/// The real `senate-live` binary, started on a free port with its own data folder.
final class ServerProcess: @unchecked Sendable {
    // @unchecked: used from one test at a time; Process is thread-safe for the calls made here.
    let process = Process()
    let dataDirectory: URL
    private let logFile: URL
    private let outFile: URL
    private(set) var port = 0

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The binary next to the test bundle (`swift build` puts both in the same folder).
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["SENATE_LIVE_BIN"] { return URL(fileURLWithPath: path) }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("senate-live")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return URL(fileURLWithPath: ".build/debug/senate-live")
    }

    /// Starts `senate-live serve` with `environment` (SENATE_LIVE_… settings) and waits until it listens,
    /// on `port` (0: a free one; a restart passes the previous port so its clients find it again).
    init(environment: [String: String], dataDirectory: URL? = nil, port requested: Int = 0) throws {
        let folder = dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("senate-live-test-\(UUID().uuidString)")
        self.dataDirectory = folder
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        logFile = folder.appendingPathComponent("server-\(UUID().uuidString.prefix(8)).log")
        outFile = folder.appendingPathComponent("server-\(UUID().uuidString.prefix(8)).out")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)

        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw FixtureError(message: "\(Self.binary.path) missing: run `swift build` before `swift test`")
        }
        process.executableURL = Self.binary
        process.arguments = ["serve", "--port", "\(requested)"]
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SENATE_LIVE_") }
        env["SENATE_LIVE_HOST"] = "127.0.0.1"
        env["SENATE_LIVE_DATA_DIR"] = folder.path
        env.merge(environment) { _, new in new }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: logFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()

        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let out = (try? String(contentsOf: outFile, encoding: .utf8)) ?? ""
            if let line = out.split(separator: "\n").first(where: { $0.hasPrefix("listening on http://") }),
               let port = Int(line.split(separator: ":").last ?? "") {
                self.port = port
                return
            }
            if !process.isRunning { throw FixtureError(message: "server exited: \(log)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw FixtureError(message: "server did not start listening: \(log)")
    }

    var pid: Int32 { process.processIdentifier }

    /// The HTTPS base URL (`http.tls`), once its `listening on https://…` line is out.
    func secureURL(timeout: Double = 10) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let out = (try? String(contentsOf: outFile, encoding: .utf8)) ?? ""
            if let line = out.split(separator: "\n").first(where: { $0.hasPrefix("listening on https://") }) {
                return String(line.dropFirst("listening on ".count))
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw FixtureError(message: "no HTTPS listener: \(log)")
    }

    /// Everything the server logged so far.
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// SIGTERM, then waits for a graceful exit. Returns the exit status.
    @discardableResult
    func stop(timeout: Double = 15) -> Int32 {
        if process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// SIGKILL: a crash.
    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
