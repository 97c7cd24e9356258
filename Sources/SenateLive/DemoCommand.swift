import ArgumentParser
import Foundation
import Media
import Relay
import Server

/// `senate-live demo`: plays `Samples/chamber.mp4` in a loop as the live channel `senate`.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Play the sample clip as a live sitting on channel 'senate'.")

    @Option(name: .long, help: "Port to listen on.")
    var port = 8080

    @Option(name: .long, help: "Address to listen on (0.0.0.0 to let other machines watch; then set SENATE_LIVE_AUTH_SECRET too).")
    var host = "127.0.0.1"

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
        configuration.http.host = host
        configuration.http.port = port
        configuration.dataDirectory = dataDir
        configuration.channels = [.init(slug: "senate", input: .init(url: input, loop: true))]
        // A low rendition for weak connections next to the copied 360p source (the README's ladder figures
        // give its CPU cost); SENATE_LIVE_LADDER="" turns it off.
        configuration.hls.ladder = [LadderRung(name: "240p", height: 240, bitrate: 250_000)]
        try configuration.apply(environment: ProcessInfo.processInfo.environment)
        // A secret of this run unless one is given: nothing printed in a README signs tokens here.
        if configuration.auth.secret.isEmpty { configuration.auth.secret = Self.randomSecret() }
        try configuration.validate()
        let sitting = try SittingScript(text: try String(contentsOfFile: script, encoding: .utf8))
        let port = configuration.http.port
        let token = try await TokenAuthority(secret: configuration.auth.secret)
            .mint(Principal(subject: "demo-operator", role: .operator, channels: ["senate"]), lifetime: 12 * 3600)
        FileHandle.standardOutput.write(Data("""
            demo: watch  http://127.0.0.1:\(port)/  (viewer; /archive for past sittings, /console/senate to publish)
            demo: video  http://127.0.0.1:\(port)/live/senate/index.m3u8
            demo: events ws://127.0.0.1:\(port)/ws  then send {"op":"subscribe","channel":"senate"}
            demo: token  \(token)
                         (an operator token for channel senate, valid 12 hours, for /console/senate and the API)

            """.utf8))
        try await runServer(configuration) { server, logger in
            [DemoScriptService(relay: server.relay, channel: "senate", script: sitting, logger: logger)]
        }
    }

    /// 32 random bytes, hex: the demo's signing secret when none is given.
    static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
