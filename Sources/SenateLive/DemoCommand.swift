import ArgumentParser
import Foundation
import Relay
import Server

/// `senate-live demo`: plays `Samples/chamber.mp4` in a loop as the live channel `senate`.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Play the sample clip as a live sitting on channel 'senate'.")

    @Option(name: .long, help: "Port to listen on.")
    var port = 8080

    @Option(name: .long, help: "Data folder (media and archive).")
    var dataDir = "data/demo"

    @Option(name: .long, help: "Clip to play as live.")
    var input = "Samples/chamber.mp4"

    @Option(name: .long, help: "Scripted sitting replayed alongside the video.")
    var script = "Samples/sitting.jsonl"

    func run() async throws {
        guard FileManager.default.fileExists(atPath: input) else {
            throw ValidationError("\(input) not found: run the demo from the repository folder, or pass --input")
        }
        var configuration = ServerConfiguration()
        configuration.http.host = "0.0.0.0"
        configuration.http.port = port
        configuration.dataDirectory = dataDir
        configuration.channels = [.init(slug: "senate", input: .init(url: input, loop: true))]
        // A fixed development secret, so `senate-live token` works against the demo out of the box.
        configuration.auth.secret = "senate-live-demo-secret-not-for-production"
        try configuration.apply(environment: ProcessInfo.processInfo.environment)
        try configuration.validate()
        let sitting = try SittingScript(text: try String(contentsOfFile: script, encoding: .utf8))
        let port = configuration.http.port
        FileHandle.standardOutput.write(Data("""
            demo: watch  http://127.0.0.1:\(port)/  (viewer; /archive for past sittings, /console/senate to publish)
            demo: video  http://127.0.0.1:\(port)/live/senate/index.m3u8
            demo: events ws://127.0.0.1:\(port)/ws  then send {"op":"subscribe","channel":"senate"}
            demo: token  SENATE_LIVE_AUTH_SECRET=\(configuration.auth.secret) swift run senate-live token --channel senate

            """.utf8))
        try await runServer(configuration) { server, logger in
            [DemoScriptService(relay: server.relay, channel: "senate", script: sitting, logger: logger)]
        }
    }
}
