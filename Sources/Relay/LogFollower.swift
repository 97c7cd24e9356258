import Foundation
import Logging
import ServiceLifecycle
import Storage
import Synchronization

/// Follows one channel's event log for a durable consumer (the archive catalog, the webhook outbox) that
/// keeps its own cursor: it reads the events after `cursor()` in pages and hands them to `consume`, which
/// must store them and the new cursor together. The hub only wakes it, so neither a full queue nor a
/// crash can make the consumer miss an event, and a restart resumes where the consumer stopped. An event
/// the consumer keeps refusing while its store still takes writes is quarantined (`quarantine` stores it
/// with the cursor past it), so one bad event never stalls the rest of the log.
public final class LogFollower: HubSubscriber {
    public let channel: String
    private let relay: Relay
    private let name: String
    private let logger: Logger
    private let cursor: @Sendable () async throws -> Int64
    private let consume: @Sendable (_ events: [Event], _ through: Int64) async throws -> Void
    private let quarantine: @Sendable (_ event: Event, _ reason: String) async throws -> Void
    /// The store's name in `senate_live_quarantined_events_total`.
    private let store: String
    /// Pauses (ms) before each try of an event that fails on its own.
    private let retryDelays: [Int]
    private let doorbell = Doorbell()
    private let stopped = Atomic<Bool>(false)
    private static let page = 500

    public init(
        channel: String, relay: Relay, name: String, store: String, logger: Logger, retryDelays: [Int] = [0, 500, 2000],
        cursor: @escaping @Sendable () async throws -> Int64,
        consume: @escaping @Sendable (_ events: [Event], _ through: Int64) async throws -> Void,
        quarantine: @escaping @Sendable (_ event: Event, _ reason: String) async throws -> Void
    ) {
        self.channel = channel
        self.relay = relay
        self.name = name
        self.logger = logger
        self.cursor = cursor
        self.consume = consume
        self.quarantine = quarantine
        self.store = store
        self.retryDelays = retryDelays
    }

    public func deliver(_ event: EncodedEvent) -> Bool {
        doorbell.ring()
        return true
    }

    public func severed() { doorbell.ring() }

    /// Makes it look at the log again (a periodic retry after a failure).
    public func poke() { doorbell.ring() }

    /// Stops after the page under way (also in the middle of a catch-up).
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        doorbell.ring()
    }

    /// Runs `followers` as child tasks of the calling service until its graceful shutdown: each registered
    /// with the hub for wake-ups and poked every `retryEvery` (a failed write is retried without waiting
    /// for the next event). `companion` (a sender the followers feed, housekeeping) runs beside them and
    /// is cancelled once they have stopped. Each follower finishes the page it is consuming before it stops.
    public static func followUntilShutdown(_ followers: [LogFollower], retryEvery interval: Duration, companion: (@Sendable () async -> Void)? = nil) async {
        await withTaskGroup(of: Void.self) { group in
            // Registered before anything runs, so the removal below always finds them.
            for follower in followers { follower.relay.hub.add(follower, channel: follower.channel) }
            group.addTask {
                await withDiscardingTaskGroup { following in
                    for follower in followers { following.addTask { await follower.run() } }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    for follower in followers { follower.poke() }
                }
            }
            if let companion { group.addTask { await companion() } }
            try? await gracefulShutdown()
            for follower in followers {
                follower.relay.hub.remove(follower, channel: follower.channel)
                follower.stop()
            }
            // The first child to end is the followers' group: neither the poke loop nor a companion ends by itself.
            await group.next()
            group.cancelAll()
        }
    }

    /// Follows new events until `stop()`.
    public func run() async {
        while !stopped.load(ordering: .relaxed), !Task.isCancelled {
            await catchUp()
            await doorbell.wait()
        }
    }

    /// Hands over every event the consumer does not hold yet.
    public func catchUp() async {
        do {
            while try await consumeNextPage() {}
        } catch {
            logger.error("\(name) could not take events; retrying", metadata: ["channel": "\(channel)", "error": "\(error)"])
        }
    }

    private func consumeNextPage() async throws -> Bool {
        guard !stopped.load(ordering: .relaxed) else { return false }
        let after = try await cursor()
        let page = try await relay.history(channel: channel, after: after, limit: Self.page)
        guard let last = page.events.last else { return false }
        if let first = page.events.first, first.seq > after + 1 {
            logger.warning("the event log no longer holds events \(name) has not taken", metadata: [
                "channel": "\(channel)", "from": "\(after + 1)", "to": "\(first.seq - 1)",
            ])
        }
        do { try await consume(page.events, last.seq) } catch {
            try await consumeOneByOne(page.events)
        }
        // A page may be short and yet not the last: rows the log quarantined while reading it.
        return true
    }

    /// The page failed as a whole: find the events that fail on their own. Each gets three tries (a busy
    /// store recovers); one that still fails is quarantined, which only succeeds if the store takes writes,
    /// so an outage (everything fails) is retried later rather than quarantining good events.
    private func consumeOneByOne(_ events: [Event]) async throws {
        for event in events {
            var failure: (any Error)?
            for delay in retryDelays {
                if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
                do {
                    try await consume([event], event.seq)
                    failure = nil
                    break
                } catch {
                    failure = error
                }
            }
            guard let failure else { continue }
            let reason = "\(failure)"
            try await quarantine(event, reason)
            Quarantine.record(store: store, channel: channel, seq: event.seq, reason: reason, logger: logger)
        }
    }
}
