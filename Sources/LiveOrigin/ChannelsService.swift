import Logging
import Media
import Relay
import ServiceLifecycle

/// Runs every channel's configured input for the life of the process. On graceful shutdown (after
/// `DrainService` marked the node as draining) it stops the inputs (each closes its open segment) and
/// releases waiting requests.
public struct ChannelsService: Service {
    let channels: [LiveChannel]
    let relay: Relay
    /// The configured input of each channel that has one, by slug.
    let inputs: [String: IngestSource]
    let logger: Logger

    public init(channels: [LiveChannel], relay: Relay, inputs: [String: IngestSource], logger: Logger) {
        self.channels = channels
        self.relay = relay
        self.inputs = inputs
        self.logger = logger
    }

    public func run() async throws {
        for channel in channels {
            if let input = inputs[channel.slug] { await channel.start(input) }
        }
        let syncs = channels.map { LiveSync.follower(channel: $0.slug, relay: relay, store: $0.store, logger: logger) }
        await LogFollower.followUntilShutdown(syncs, retryEvery: .seconds(5))
        logger.info("draining: closing open segments")
        for channel in channels {
            await channel.stop()
            await channel.store.cancelWaiters()
        }
    }
}
