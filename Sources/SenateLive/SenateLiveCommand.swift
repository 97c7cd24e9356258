import ArgumentParser

/// `senate-live`: the live-parliament streaming server.
@main
struct SenateLiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "senate-live",
        abstract: "Live parliament streaming: ingest with FFmpeg, Low-Latency HLS, live sitting events.",
        subcommands: [ServeCommand.self, DemoCommand.self, PackageCommand.self, TokenCommand.self, PublishCommand.self, PushImportCommand.self]
    )
}
