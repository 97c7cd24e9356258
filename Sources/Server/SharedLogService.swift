import Logging
import Relay
import RelayPostgres
import ServiceLifecycle

/// Several nodes on one PostgreSQL event log: hands the events other nodes store to this node's hub (woken
/// by LISTEN/NOTIFY, with a look at the table every few seconds in case a notification was lost), and
/// closes the log when the server stops. It is the first service, so it stops after those that publish.
struct SharedLogService: Service {
    let relay: Relay
    let log: PostgresEventLog
    let logger: Logger
    /// Time between looks at the table without a notification (`relay.sharedLogPoll`).
    let pollInterval: Duration

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await log.listen() }
            group.addTask { await relay.followSharedLog() }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: pollInterval)
                    await relay.catchUp(channels: relay.channels.sorted())
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        await log.close()
    }
}
