import Foundation
import Logging
import Relay
import ServiceLifecycle

/// Replays a scripted sitting on a channel, paced by its offsets, over and over (each round a new
/// sitting), alongside the demo video.
public struct DemoScriptService: Service {
    let relay: Relay
    let channel: String
    let script: SittingScript
    let logger: Logger
    /// Pause between rounds, seconds.
    let pause: Double

    public init(relay: Relay, channel: String, script: SittingScript, logger: Logger, pause: Double = 20) {
        self.relay = relay
        self.channel = channel
        self.script = script
        self.logger = logger
        self.pause = pause
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var round = Int(Date().timeIntervalSince1970)
            while !Task.isCancelled {
                let start = Date()
                for line in script.lines {
                    let wait = start.addingTimeInterval(line.offset).timeIntervalSinceNow
                    if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
                    do {
                        _ = try await relay.publish(channel: channel, drafts: [SittingScript.draft(line, start: start, round: round)], isBatch: false)
                    } catch {
                        logger.warning("demo script event refused", metadata: ["type": "\(line.type.rawValue)", "error": "\(error)"])
                    }
                }
                round += 1
                try await Task.sleep(for: .milliseconds(Int(pause * 1000)))
            }
        }
    }
}
