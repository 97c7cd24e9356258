import Foundation

/// A server restart under clients that stay: a client script (Python) connects its clients and creates
/// its `ready` file; the drill then stops the server with SIGTERM, starts it again on the same port and
/// data folder, removes the file, and waits for the script to finish its checks.
struct RestartDrill {
    /// The script's exit status (nil: it did not finish in time) and what it wrote on standard error.
    struct Outcome {
        let status: Int32?
        let errors: String
        /// The first server's exit status after SIGTERM.
        let drained: Int32
    }

    let environment: [String: String]
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("senate-live-drill-\(UUID().uuidString)")

    /// Runs `python3 script arguments(baseURL) READY_FILE` across the restart.
    func run(script: URL, connectTimeout: Double = 120, checkTimeout: Double = 120, arguments: (String) throws -> [String]) throws -> Outcome {
        var server = try ServerProcess(environment: environment, dataDirectory: folder)
        let ready = folder.appendingPathComponent("clients-ready"), errors = folder.appendingPathComponent("clients.err")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let clients = Process()
        clients.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        clients.arguments = ["python3", script.path] + (try arguments(server.baseURL)) + [ready.path]
        clients.standardOutput = FileHandle.nullDevice
        clients.standardError = try FileHandle(forWritingTo: errors)
        try clients.run()
        defer { clients.kill9() }
        func errorText() -> String { ((try? String(contentsOf: errors, encoding: .utf8)) ?? "").suffix(3000).description }
        let connected = Date().addingTimeInterval(connectTimeout)
        while !FileManager.default.fileExists(atPath: ready.path) && clients.isRunning && Date() < connected { Thread.sleep(forTimeInterval: 0.1) }
        guard FileManager.default.fileExists(atPath: ready.path) else {
            server.stop()
            throw FixtureError(message: "the clients never all connected: \(errorText())")
        }
        let port = server.port
        let drained = server.stop()
        server = try ServerProcess(environment: environment, dataDirectory: folder, port: port)
        defer { server.stop() }
        try FileManager.default.removeItem(at: ready)
        let checked = Date().addingTimeInterval(checkTimeout)
        while clients.isRunning && Date() < checked { Thread.sleep(forTimeInterval: 0.2) }
        let finished = !clients.isRunning
        clients.kill9()
        return Outcome(status: finished ? clients.terminationStatus : nil, errors: errorText(), drained: drained)
    }
}
