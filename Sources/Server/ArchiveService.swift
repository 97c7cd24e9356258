import Archive
import Foundation
import Logging
import Relay
import ServiceLifecycle

/// Keeps the archive: one catalog feed per channel, the archive of sittings a crash left open, and the
/// retention sweep (hourly). Stops with the server.
struct ArchiveService: Service {
    let channels: [String]
    let relay: Relay
    let archiver: SittingArchiver
    let logger: Logger

    func run() async throws {
        var feeds: [(ArchiveSync, Task<Void, Never>)] = []
        for channel in channels {
            let sync = ArchiveSync(channel: channel, relay: relay, catalog: archiver.catalog, archiver: archiver, logger: logger)
            relay.hub.add(sync, channel: channel)
            // The first pass catches up with the log before the open sittings are archived below.
            await sync.catchUp()
            feeds.append((sync, Task { await sync.run() }))
        }
        await archiver.recoverOpenSittings()
        let sweeper = Task {
            while !Task.isCancelled {
                await archiver.applyRetention()
                try? await Task.sleep(for: .seconds(archiver.sweepInterval))
            }
        }
        try? await gracefulShutdown()
        sweeper.cancel()
        for (sync, task) in feeds {
            relay.hub.remove(sync, channel: sync.channel)
            sync.stop()
            await task.value
        }
        await archiver.cancelAll()
    }
}
