import Archive
import Foundation
import Logging
import Relay
import ServiceLifecycle

/// Keeps the archive: one catalog feed per channel, the archive of sittings a crash left open, and the
/// retention sweep (hourly). Stops with the server.
public struct ArchiveService: Service {
    let channels: [String]
    let relay: Relay
    let archiver: SittingArchiver
    let logger: Logger

    public init(channels: [String], relay: Relay, archiver: SittingArchiver, logger: Logger) {
        self.channels = channels
        self.relay = relay
        self.archiver = archiver
        self.logger = logger
    }

    public func run() async throws {
        var syncs: [LogFollower] = []
        for channel in channels {
            let sync = ArchiveSync.follower(channel: channel, relay: relay, catalog: archiver.catalog, archiver: archiver, logger: logger)
            // The first pass catches up with the log before the open sittings are archived below.
            await sync.catchUp()
            syncs.append(sync)
        }
        await archiver.recoverOpenSittings()
        // Every minute: retry catalog updates that failed and archives that were never written.
        await LogFollower.followUntilShutdown(syncs, retryEvery: .seconds(60)) { [archiver] in
            await withDiscardingTaskGroup { group in
                group.addTask { await archiver.archiveEndedSittings() }
                group.addTask {
                    var nextSweep = ContinuousClock.now
                    while !Task.isCancelled {
                        await archiver.archivePending()
                        if ContinuousClock.now >= nextSweep {
                            await archiver.applyRetention()
                            nextSweep = ContinuousClock.now + .seconds(archiver.sweepInterval)
                        }
                        try? await Task.sleep(for: .seconds(min(60, archiver.sweepInterval)))
                    }
                }
            }
        }
    }
}
