import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket
import Relay
import Storage

/// A WebSocket subscription to one channel, written to on its connection's event loop (by `LoopFanout`):
/// the event's shared bytes go into the NIO channel with no task wake-up per subscriber. The channel's
/// outbound buffer is the subscriber's bounded queue: when it passes its high watermark the client is not
/// reading, and the subscription reports an overflow (the session closes it with 4008).
///
/// While the subscriber is being brought up to date (snapshot or replay), live events are held back and
/// written after it, skipping what the replay already sent: no gap, no duplicate, in order. Catch-up
/// writes and the switch to live are queued on the event loop in order, and live delivery runs there, so
/// nothing overtakes anything.
final class DirectSubscriber: @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `lock`; NIO's `Channel` is thread-safe.
    private let connection: any Channel
    private let lock = NIOLock()
    private var machine: SubscriptionStateMachine<EncodedEvent>
    /// Only events about these bills, items or tags (empty: every event).
    private var follow: FollowFilter
    private let onOverflow: @Sendable () -> Void

    init(connection: any Channel, heldLimit: Int, follow: FollowFilter = FollowFilter(), onOverflow: @escaping @Sendable () -> Void) {
        self.connection = connection
        self.follow = follow
        machine = SubscriptionStateMachine(heldLimit: heldLimit)
        self.onOverflow = onOverflow
    }

    var eventLoop: any EventLoop { connection.eventLoop }

    /// What `deliver` did with one live event.
    enum Outcome {
        /// Written, not flushed: the fan-out flushes once after the events of a loop tick.
        case wrote
        /// Held for after the catch-up, already sent, or not followed.
        case nothing
        /// The subscriber is gone or too slow: remove it.
        case dropped
    }

    /// On the event loop: writes a live event (unflushed), or holds it during catch-up.
    func deliver(_ event: EncodedEvent) -> Outcome {
        let delivery = lock.withLock {
            let delivery = machine.deliver(event, seq: event.seq, wanted: follow.matches(event.event, foldedLine: event.foldedLine), writable: writable())
            if delivery == .write { connection.write(WebSocketFrame(fin: true, opcode: .text, data: event.webSocketText), promise: nil) }
            return delivery
        }
        switch delivery {
        case .write: return .wrote
        case .hold, .skip: return .nothing
        case .drop:
            overflowed()
            return .dropped
        }
    }

    /// Below the high watermark. Unflushed writes count against it: a coalesced burst may pass it while the
    /// kernel would take every byte, so the writes so far are flushed and the question asked again.
    private func writable() -> Bool {
        if connection.isWritable { return true }
        connection.flush()
        return connection.isWritable
    }

    /// On the event loop: sends what `deliver` wrote.
    func flush() {
        connection.flush()
    }

    /// Brings the subscriber up to date from `since` (a snapshot, or the events after it, filtered by
    /// `following`), then switches it to live delivery. Throws `CatchUpStalled` when the client does not read.
    func catchUp(relay: Relay, channel: String, since: Int64?, following: FollowFilter, pages: AsyncLock) async throws {
        let last = try await CatchUp.run(relay: relay, channel: channel, since: since) { items in
            try await sendCatchUp(try items.compactMap { item in
                if case .event(let event) = item, !following.matches(event.event, foldedLine: event.foldedLine) { return nil }
                return try ClientCommand.encode(item, channel: channel)
            }, pages: pages)
        }
        goLive(after: last)
    }

    /// Writes a page of catch-up messages (snapshot, gap, replayed events), flushed once, on the event loop,
    /// in call order; returns once the loop has done it. A replay goes at the client's pace: it waits while
    /// the connection's buffer is full, and gives up (the client is not reading) after `patience`. At most
    /// `pages` permits' worth of pages are on the loops at once: a reconnect storm's replays queue here
    /// rather than in front of every other connection's work on the loops.
    func sendCatchUp(_ messages: [ByteBuffer], pages: AsyncLock, patience: Duration = .seconds(10)) async throws {
        guard !messages.isEmpty else { return }
        let deadline = ContinuousClock.now + patience
        while !connection.isWritable {
            guard ContinuousClock.now < deadline else { throw CatchUpStalled() }
            try await Task.sleep(for: .milliseconds(10))
        }
        let connection = connection
        try await pages.withLock {
            try await connection.eventLoop.submit {
                // Unsubscribed, closed or gone meanwhile: nothing more goes out (not after a close frame).
                guard !self.lock.withLock({ self.machine.isClosed }), connection.isActive else { throw SubscriptionClosed() }
                for bytes in messages { connection.write(WebSocketFrame(fin: true, opcode: .text, data: bytes), promise: nil) }
                connection.flush()
            }.get()
        }
        RelayMetrics.shared.delivered(messages.count)
    }

    /// Catch-up is done up to `seq`: on the event loop, after the catch-up writes, write what was held
    /// back after `seq`, then deliver live.
    func goLive(after seq: Int64) {
        connection.eventLoop.execute {
            self.lock.withLock {
                let follow = self.follow
                let held = self.machine.goLive(after: seq, wanted: { follow.matches($0.event, foldedLine: $0.foldedLine) })
                for event in held { self.connection.write(WebSocketFrame(fin: true, opcode: .text, data: event.webSocketText), promise: nil) }
                if !held.isEmpty {
                    self.connection.flush()
                    RelayMetrics.shared.delivered(held.count)
                }
            }
        }
    }

    /// Changes which events go out from now on.
    func setFollow(_ filter: FollowFilter) {
        lock.withLock { follow = filter }
    }

    /// Events this subscriber should have had are lost: stop, and close the connection as for a subscriber
    /// that fell behind (4008), so the client resumes with `since` and is told of the gap.
    func sever() {
        if lock.withLock({ machine.close() }) { onOverflow() }
    }

    /// Stops writing (unsubscribe or connection end).
    func close() {
        _ = lock.withLock { machine.close() }
    }

    private func overflowed() {
        RelayMetrics.shared.slowSubscriberDropped()
        onOverflow()
    }

}

/// A subscriber did not read its catch-up in time.
struct CatchUpStalled: Error {}

/// The subscription ended while its catch-up was being sent.
struct SubscriptionClosed: Error {}
