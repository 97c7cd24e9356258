import NIOConcurrencyHelpers
import NIOCore
import Relay

/// Groups a channel's WebSocket subscribers by event loop: the hub hands each event to one `LoopFanout`
/// per event loop, which writes it to all its subscribers in a single task on that loop. The publishing
/// thread does a few hand-offs instead of one per subscriber, and the loops write in parallel.
///
/// Events that arrive while the loop has not yet run the previous hand-off join it: a burst (a vote's
/// running tally) is written to each subscriber together and flushed once, one `writev` per subscriber per
/// loop tick instead of one per event.
final class LoopFanout: HubSubscriber, @unchecked Sendable {
    // @unchecked: `subscribers`, `pending` and `drainScheduled` are guarded by `lock`.
    let eventLoop: any EventLoop
    private let lock = NIOLock()
    private var subscribers: [ObjectIdentifier: DirectSubscriber] = [:]
    private var pending: [EncodedEvent] = []
    private var drainScheduled = false

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    var isEmpty: Bool { lock.withLock { subscribers.isEmpty } }

    func add(_ subscriber: DirectSubscriber) { lock.withLock { subscribers[ObjectIdentifier(subscriber)] = subscriber } }

    func remove(_ subscriber: DirectSubscriber) { lock.withLock { _ = subscribers.removeValue(forKey: ObjectIdentifier(subscriber)) } }

    func severed() {
        eventLoop.execute {
            let targets = self.lock.withLock { Array(self.subscribers.values) }
            for target in targets {
                target.sever()
                self.remove(target)
            }
        }
    }

    func deliver(_ event: EncodedEvent) -> Bool {
        let schedule = lock.withLock {
            pending.append(event)
            defer { drainScheduled = true }
            return !drainScheduled
        }
        if schedule { eventLoop.execute { self.drain() } }
        return true
    }

    /// On the loop: every event handed off since the last drain, to every subscriber, one flush each.
    private func drain() {
        let (events, targets) = lock.withLock {
            defer {
                pending.removeAll(keepingCapacity: true)
                drainScheduled = false
            }
            return (pending, Array(subscribers.values))
        }
        var written = 0
        for target in targets {
            var wrote = false
            events: for event in events {
                switch target.deliver(event) {
                case .wrote:
                    wrote = true
                    written += 1
                case .nothing:
                    continue
                case .dropped:
                    remove(target)
                    break events
                }
            }
            if wrote { target.flush() }
        }
        RelayMetrics.shared.delivered(written)
    }
}

/// The `LoopFanout`s of every channel, created on first use and registered with the hub.
public final class FanoutRegistry: Sendable {
    private let hub: Hub
    private let fanouts = NIOLockedValueBox<[String: [ObjectIdentifier: LoopFanout]]>([:])

    public init(hub: Hub) {
        self.hub = hub
    }

    func add(_ subscriber: DirectSubscriber, channel: String) {
        let loop = subscriber.eventLoop
        // The hub learns of a new fanout before anyone can find it here, so no subscriber of it can go
        // live before its events flow.
        let fanout = fanouts.withLockedValue { all -> LoopFanout in
            if let existing = all[channel]?[ObjectIdentifier(loop)] { return existing }
            let created = LoopFanout(eventLoop: loop)
            hub.add(created, channel: channel)
            all[channel, default: [:]][ObjectIdentifier(loop)] = created
            return created
        }
        fanout.add(subscriber)
    }

    func remove(_ subscriber: DirectSubscriber, channel: String) {
        let fanout = fanouts.withLockedValue { $0[channel]?[ObjectIdentifier(subscriber.eventLoop)] }
        fanout?.remove(subscriber)
    }
}
