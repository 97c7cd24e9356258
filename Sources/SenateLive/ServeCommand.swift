import ArgumentParser
import Foundation
import Logging
import Media
import Server
import ServiceLifecycle

/// `senate-live serve --config config/senate-live.yaml`
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the server from a configuration file and SENATE_LIVE_… variables.")

    @Option(name: .long, help: "YAML configuration file.")
    var config: String?

    @Option(name: .long, help: "Port to listen on (overrides the file and SENATE_LIVE_PORT; 0 picks a free port).")
    var port: Int?

    func run() async throws {
        var configuration = try ServerConfiguration.load(file: config, environment: ProcessInfo.processInfo.environment)
        if let port { configuration.http.port = port }
        try await runServer(configuration)
    }
}

/// Runs the server (and any `extra` services) until SIGTERM/SIGINT, then drains.
func runServer(
    _ configuration: ServerConfiguration,
    extra: (SenateLiveServer, Logger) -> [any Service] = { _, _ in [] }
) async throws {
    let logger = makeLogger(level: configuration.logLevel)
    let server = try await buildServer(configuration, logger: logger) { url in
        FileHandle.standardOutput.write(Data("listening on \(url)\n".utf8))
    }
    var groupConfiguration = ServiceGroupConfiguration(
        services: (server.services + extra(server, logger)).map { .init(service: $0) },
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger
    )
    // Services still draining near the deadline are cancelled; whatever ignores that too is ended by
    // `DrainDeadline` at the deadline itself.
    let deadline = configuration.drainTimeout
    groupConfiguration.maximumGracefulShutdownDuration = .milliseconds(Int64(max(0.5, deadline - min(5, deadline / 4)) * 1000))
    groupConfiguration.maximumCancellationDuration = .milliseconds(Int64(min(5, deadline / 4) * 1000))
    let watchdog = DrainDeadline(seconds: deadline, logger: logger)
    defer { withExtendedLifetime(watchdog) {} }
    try await ServiceGroup(configuration: groupConfiguration).run()
}

/// Logs go to standard error; the `listening on` line goes to standard output.
func makeLogger(level: String) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = Logger.Level(rawValue: level) ?? .info
        return handler
    }
    let logger = Logger(label: "senate-live")
    FFmpegLog.install(logger: logger)
    return logger
}
