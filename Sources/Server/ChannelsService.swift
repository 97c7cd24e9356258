import Logging
import ServiceLifecycle

/// Runs every channel's configured input for the life of the process. On graceful shutdown it marks the
/// server as draining, stops the inputs (each closes its open segment) and releases waiting requests.
struct ChannelsService: Service {
    let channels: [LiveChannel]
    let inputs: [String: ServerConfiguration.Input]
    let draining: DrainFlag
    let logger: Logger

    func run() async throws {
        for channel in channels {
            if let input = inputs[channel.slug] { await channel.start(input.source) }
        }
        try? await gracefulShutdown()
        draining.set()
        logger.info("draining: closing open segments")
        for channel in channels {
            await channel.stop()
            await channel.store.cancelWaiters()
        }
    }
}
