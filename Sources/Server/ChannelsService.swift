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
        var syncs: [(LiveSync, Task<Void, Never>)] = []
        for channel in channels {
            if let input = inputs[channel.slug] { await channel.start(input.source) }
            let sync = LiveSync(store: channel.store)
            relay.hub.add(sync, channel: channel.slug)
            let head = (try? await relay.head(channel: channel.slug))?.seq ?? 0
            let recent = (try? await relay.history(channel: channel.slug, after: max(0, head - 2000), limit: 2000).events) ?? []
            syncs.append((sync, Task { await sync.run(recent: recent.filter { $0.seq <= head }) }))
        }
        try? await gracefulShutdown()
        for (sync, task) in syncs {
            sync.stop()
            await task.value
        }
        logger.info("draining: closing open segments")
        for channel in channels {
            await channel.stop()
            await channel.store.cancelWaiters()
        }
    }
}
