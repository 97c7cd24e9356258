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
        var feeds: [(LogFollower, Task<Void, Never>)] = []
        for channel in channels {
            let sync = ArchiveSync.follower(channel: channel, relay: relay, catalog: archiver.catalog, archiver: archiver, logger: logger)
            // The first pass catches up with the log before the open sittings are archived below.
            await sync.catchUp()
            feeds.append((sync, sync.start()))
        }
        await archiver.recoverOpenSittings()
        let syncs = feeds.map(\.0)
        let housekeeping = Task {
            var nextSweep = ContinuousClock.now
            while !Task.isCancelled {
                // Every minute: retry catalog updates that failed and archives that were never written.
                for sync in syncs { sync.poke() }
                await archiver.archivePending()
                if ContinuousClock.now >= nextSweep {
                    await archiver.applyRetention()
                    nextSweep = ContinuousClock.now + .seconds(archiver.sweepInterval)
                }
                try? await Task.sleep(for: .seconds(min(60, archiver.sweepInterval)))
            }
        }
        try? await gracefulShutdown()
        housekeeping.cancel()
        for (sync, task) in feeds { await sync.finish(task) }
        await archiver.cancelAll()
    }
}
