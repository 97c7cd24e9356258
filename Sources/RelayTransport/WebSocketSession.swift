import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Relay
import Storage

/// One `/ws` connection: any number of channel subscriptions. Events are written by the hub straight into
/// the connection (`DirectSubscriber`); this session only runs the client's commands, one at a time, so a
/// subscribe's catch-up and the live events that follow it never interleave wrongly.
public struct WebSocketSession: Sendable {
    let relay: Relay
    let fanouts: FanoutRegistry
    let settings: SubscriberLimits
    let logger: Logger
    /// Catch-up pages on the event loops at once, for every connection (`DirectSubscriber.sendCatchUp`).
    let replayPages = AsyncLock(permits: 8)

    enum Message: Sendable {
        case subscribe(channel: String, since: Int64?)
        case unsubscribe(channel: String)
        /// Follow (`adding`) or stop following bills, items and tags; an empty unfollow clears them all.
        case follow(FollowFilter, adding: Bool)
        case reply(ByteBuffer)
        /// A subscription's outbound buffer passed its high watermark.
        case overflow
    }

    /// Close code for a subscriber that fell behind (SPEC.md).
    static let tooSlow = WebSocketErrorCode(codeNumber: 4008)

    /// What a connection holds between commands. Only the command loop touches it.
    final class State: @unchecked Sendable {
        var subscriptions: [String: DirectSubscriber] = [:]
        var following = FollowFilter()
        var overflowed = false
    }

    // Every idle connection keeps the async frames it is suspended in, on the task allocator, for its whole
    // life (measured with heaptrack: ~26 KB of task memory per connection, 5 KB of it this function's frame
    // when the commands were inlined here). So the waiting loops stay small, and each command runs in its
    // own non-inlined function whose frame exists only while it runs.
    public init(relay: Relay, fanouts: FanoutRegistry, settings: SubscriberLimits, logger: Logger) {
        self.relay = relay
        self.fanouts = fanouts
        self.settings = settings
        self.logger = logger
    }

    /// Runs the connection's commands until it closes.
    public func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, connection: any Channel) async throws {
        // The connection's own outbound buffer is the subscriber's bounded queue.
        let high = max(16 * 1024, settings.subscriberBufferBytes)
        try? await connection.setOption(ChannelOptions.writeBufferWaterMark, value: .init(low: high / 2, high: high)).get()
        let queue = BoundedQueue<Message>(limit: 256)
        let state = State()
        RelayMetrics.shared.subscriberJoined()
        defer {
            RelayMetrics.shared.subscriberLeft()
            unsubscribeAll(state)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { queue.finish() }
                try await readClientMessages(inbound, into: queue, outbound: outbound)
            }
            for await message in queue.stream {
                if queue.hasOverflowed { state.overflowed = true }
                if !state.overflowed {
                    try await perform(message, state: state, queue: queue, outbound: outbound, connection: connection)
                }
                if state.overflowed { break }
            }
            group.cancelAll()
            if state.overflowed {
                await closeTooSlow(state, outbound: outbound, buffer: high)
                return
            }
            // The reader ended. Its error, if any, names the close code (1009 a message over
            // `relay.maxClientMessageBytes`, 1007 text that is not UTF-8); a task group drops it otherwise.
            try await group.next()
        }
    }

    /// Runs one client command (or reply) on the command loop.
    @inline(never)
    private func perform(_ message: Message, state: State, queue: BoundedQueue<Message>, outbound: WebSocketOutboundWriter, connection: any Channel) async throws {
        switch message {
        case .overflow:
            state.overflowed = true
        case .subscribe(let channel, let since):
            if let previous = state.subscriptions.removeValue(forKey: channel) {
                previous.close()
                fanouts.remove(previous, channel: channel)
            }
            let onOverflow: @Sendable () -> Void = {
                queue.offer(.overflow)
                // A client that never reads never takes the close frame either: end the TCP connection later.
                connection.eventLoop.scheduleTask(in: .seconds(30)) { connection.close(promise: nil) }
            }
            let subscriber = DirectSubscriber(connection: connection, heldLimit: settings.subscriberQueue, follow: state.following, onOverflow: onOverflow)
            fanouts.add(subscriber, channel: channel)
            state.subscriptions[channel] = subscriber
            do {
                // In a child task: a task keeps the memory of its deepest call stack until it ends, and the
                // catch-up (replay, snapshot encoding) goes deep, while this task lives as long as the connection.
                let following = state.following, relay = relay
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await subscriber.catchUp(relay: relay, channel: channel, since: since, following: following, pages: replayPages)
                    }
                    try await group.next()
                }
            } catch is SubscriptionClosed {
                // Dropped as too slow or severed during its catch-up: the overflow that closed it says so.
            } catch is CatchUpStalled {
                state.overflowed = true
                onOverflow()
            }
        case .unsubscribe(let channel):
            if let subscriber = state.subscriptions.removeValue(forKey: channel) {
                subscriber.close()
                fanouts.remove(subscriber, channel: channel)
            }
        case .follow(let change, let adding):
            let (updated, reply) = ClientCommand.applying(change, adding: adding, to: state.following)
            if let updated {
                state.following = updated
                for subscriber in state.subscriptions.values { subscriber.setFollow(updated) }
            }
            try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: reply)))
        case .reply(let bytes):
            try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: bytes)))
        }
    }

    @inline(never)
    private func closeTooSlow(_ state: State, outbound: WebSocketOutboundWriter, buffer: Int) async {
        for subscriber in state.subscriptions.values { subscriber.close() }
        logger.notice("closing a subscriber that fell behind", metadata: ["buffer": "\(buffer)"])
        try? await outbound.close(Self.tooSlow, reason: "too slow: reconnect and subscribe with since")
    }

    private func unsubscribeAll(_ state: State) {
        for (channel, subscriber) in state.subscriptions {
            subscriber.close()
            fanouts.remove(subscriber, channel: channel)
        }
        state.subscriptions = [:]
    }

    /// Parses client messages into queue commands; malformed ones get an `error` reply, the connection stays.
    private func readClientMessages(_ inbound: WebSocketInboundStream, into queue: BoundedQueue<Message>, outbound: WebSocketOutboundWriter) async throws {
        var limiter = RateLimiter(perSecond: settings.clientMessagesPerSecond)
        var refused = 0
        for try await message in inbound.messages(maxSize: settings.maxClientMessageBytes) {
            guard let command = command(for: message, limiter: &limiter, refused: &refused) else {
                await closeFlooding(outbound)
                return
            }
            queue.offer(command)
        }
    }

    /// The command (or error reply) a client message makes; nil when the client floods and is closed.
    /// Synchronous and not inlined: parsing stays off the reader's async frame, which lives as long as the
    /// connection.
    @inline(never)
    private func command(for message: WebSocketMessage, limiter: inout RateLimiter, refused: inout Int) -> Message? {
        guard limiter.allow() else {
            refused += 1
            if refused > settings.clientMessagesPerSecond * 10 { return nil }
            return .reply(ClientCommand.error("rate_limited", "more than \(settings.clientMessagesPerSecond) messages a second"))
        }
        guard case .text(let text) = message else { return .reply(ClientCommand.error("invalid_message", "send JSON text frames")) }
        return command(text)
    }

    @inline(never)
    private func closeFlooding(_ outbound: WebSocketOutboundWriter) async {
        try? await outbound.close(.policyViolation, reason: "too many messages")
    }

    private func command(_ text: String) -> Message {
        switch ClientCommand.parse(text, channels: relay.channels) {
        case .subscribe(let channel, let since): .subscribe(channel: channel, since: since)
        case .unsubscribe(let channel): .unsubscribe(channel: channel)
        case .follow(let change, let adding): .follow(change, adding: adding)
        case .reply(let bytes): .reply(bytes)
        }
    }
}

/// A token bucket: `perSecond` messages a second, bursts up to twice that.
struct RateLimiter {
    let perSecond: Int
    private var tokens: Double
    private var last = ContinuousClock.now

    init(perSecond: Int) {
        self.perSecond = perSecond
        tokens = Double(perSecond * 2)
    }

    mutating func allow() -> Bool {
        let now = ContinuousClock.now
        let elapsed = Double((now - last).components.attoseconds) / 1e18 + Double((now - last).components.seconds)
        last = now
        tokens = min(Double(perSecond * 2), tokens + elapsed * Double(perSecond))
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}

/// The limits a subscriber connection runs under (the `relay.*` settings of the same names).
public struct SubscriberLimits: Sendable, Equatable {
    /// Bytes in a connection's outbound buffer before it counts as not reading (4008).
    public var subscriberBufferBytes: Int
    /// Live events held for a subscriber while its catch-up is sent.
    public var subscriberQueue: Int
    public var clientMessagesPerSecond: Int
    public var maxClientMessageBytes: Int

    public init(subscriberBufferBytes: Int, subscriberQueue: Int, clientMessagesPerSecond: Int, maxClientMessageBytes: Int) {
        self.subscriberBufferBytes = subscriberBufferBytes
        self.subscriberQueue = subscriberQueue
        self.clientMessagesPerSecond = clientMessagesPerSecond
        self.maxClientMessageBytes = maxClientMessageBytes
    }
}
