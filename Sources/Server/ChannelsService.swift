import Logging
import Relay
import ServiceLifecycle

/// Runs every channel's configured input for the life of the process. On graceful shutdown (after
/// `DrainService` marked the node as draining) it stops the inputs (each closes its open segment) and
/// releases waiting requests.
struct ChannelsService: Service {
    let channels: [LiveChannel]
    let relay: Relay
    let inputs: [String: ServerConfiguration.Input]
    let logger: Logger

    func run() async throws {
        for channel in channels {
            if let input = inputs[channel.slug] { await channel.start(input.source) }
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
