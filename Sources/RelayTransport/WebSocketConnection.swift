import NIOCore
import NIOWebSocket
import Relay

/// One `/ws` connection after its handshake, as a channel handler on its event loop: the client's messages
/// become commands run in order, events are written by the fan-out straight into the channel
/// (`DirectSubscriber`), and the connection's timers are NIO's. Idle, it is this object, its subscriptions
/// and a repeating ping task: no Swift task, no async frame, no zlib state.
///
/// Commands run one at a time: a subscribe's catch-up (the only step that awaits) runs in a task of its
/// own, and the commands that arrive meanwhile wait in `waiting` until it is done, so a subscribe's
/// catch-up and what the client asks next never interleave.
final class WebSocketConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let endpoint: WebSocketEndpoint
    private var messages: InboundMessages
    private var limiter: RateLimiter
    private var refused = 0
    private var subscriptions: [String: DirectSubscriber] = [:]
    private var following = FollowFilter()
    /// Commands that arrived while a catch-up ran.
    private var waiting: [ClientCommand] = []
    private var catchingUp = false
    /// Anything heard from the client since the last ping.
    private var heard = true
    private var pinger: RepeatedTask?
    private var state = State.open
    private var context: ChannelHandlerContext?

    private enum State {
        case open
        /// Our close frame is sent; waiting for the client's, or for the close timeout.
        case closing
        case ended
    }

    /// Close code for a subscriber that fell behind (SPEC.md).
    static let tooSlow = WebSocketErrorCode(codeNumber: 4008)
    /// Most commands waiting behind a catch-up; more is a client flooding faster than it is served.
    static let waitingLimit = 256

    init(endpoint: WebSocketEndpoint, deflate: Bool) {
        self.endpoint = endpoint
        messages = InboundMessages(maxBytes: endpoint.limits.maxClientMessageBytes, deflate: deflate)
        limiter = RateLimiter(perSecond: endpoint.limits.clientMessagesPerSecond)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        RelayMetrics.shared.subscriberJoined()
        let interval = endpoint.pingInterval
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        pinger = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in bound.value.ping() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        end()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        end()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        heard = true
        switch frame.opcode {
        case .ping:
            // A client that sends pings and reads nothing gets no pong queued for it (RFC 6455 §5.5.3 lets
            // an endpoint answer only the latest ping).
            guard case .open = state, context.channel.isWritable else { return }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .pong:
            break
        case .connectionClose:
            answerClose(frame, context: context)
        default:
            guard case .open = state else { return }
            do throws(InboundMessages.Violation) {
                if let message = try messages.take(frame) { received(message) }
            } catch {
                close(error.code, reason: error.reason)
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            close(.goingAway, reason: "server shutting down")
            return
        }
        // The server's connections allow half-closure (for HTTP): a WebSocket client that ends its side
        // without a close frame is gone (1006), and its connection would otherwise sit in CLOSE-WAIT.
        if case ChannelEvent.inputClosed = event {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The frame decoder's errors: a frame it cannot take (the connection guard finds most before it).
        if let error = error as? NIOWebSocketError, case .open = state {
            close(error == .invalidFrameLength ? .messageTooLarge : .protocolError, reason: "invalid frame")
        } else {
            context.close(promise: nil)
        }
    }

    // MARK: Messages and commands

    private func received(_ message: InboundMessages.Message) {
        guard limiter.allow() else {
            refused += 1
            if refused > endpoint.limits.clientMessagesPerSecond * 10 {
                close(.policyViolation, reason: "too many messages")
            } else {
                reply(ClientCommand.error("rate_limited", "more than \(endpoint.limits.clientMessagesPerSecond) messages a second"))
            }
            return
        }
        switch message {
        case .binary: reply(ClientCommand.error("invalid_message", "send JSON text frames"))
        case .text(let text): run(ClientCommand.parse(text, channels: endpoint.relay.channels))
        }
    }

    private func run(_ command: ClientCommand) {
        guard !catchingUp else {
            waiting.append(command)
            // The old session's bounded command queue had the same limit and the same answer.
            if waiting.count > Self.waitingLimit { closeTooSlow() }
            return
        }
        switch command {
        case .reply(let bytes):
            reply(bytes)
        case .subscribe(let channel, let since):
            subscribe(channel, since: since)
        case .unsubscribe(let channel):
            if let subscriber = subscriptions.removeValue(forKey: channel) {
                subscriber.close()
                endpoint.fanouts.remove(subscriber, channel: channel)
            }
        case .follow(let change, let adding):
            let (updated, answer) = ClientCommand.applying(change, adding: adding, to: following)
            if let updated {
                following = updated
                for subscriber in subscriptions.values { subscriber.setFollow(updated) }
            }
            reply(answer)
        }
    }

    private func subscribe(_ channel: String, since: Int64?) {
        guard let context else { return }
        if let previous = subscriptions.removeValue(forKey: channel) {
            previous.close()
            endpoint.fanouts.remove(previous, channel: channel)
        }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let onOverflow: @Sendable () -> Void = {
            bound.eventLoop.execute { bound.value.closeTooSlow() }
        }
        let subscriber = DirectSubscriber(connection: context.channel, heldLimit: endpoint.limits.subscriberQueue, follow: following, onOverflow: onOverflow)
        endpoint.fanouts.add(subscriber, channel: channel)
        subscriptions[channel] = subscriber
        catchingUp = true
        let endpoint = endpoint, following = following
        Task {
            var failure: (any Error)?
            do {
                try await subscriber.catchUp(relay: endpoint.relay, channel: channel, since: since, following: following, pages: endpoint.replayPages)
            } catch {
                failure = error
            }
            let outcome = failure
            bound.eventLoop.execute { bound.value.caughtUp(failure: outcome) }
        }
    }

    /// On the loop, when a catch-up ends: the waiting commands run.
    private func caughtUp(failure: (any Error)?) {
        catchingUp = false
        if let failure, !(failure is SubscriptionClosed) {
            if failure is CatchUpStalled {
                closeTooSlow()
            } else {
                endpoint.logger.error("a subscriber's catch-up failed", metadata: ["error": "\(failure)"])
                close(.unexpectedServerError, reason: "the server could not read the channel's history")
            }
            return
        }
        while !catchingUp, case .open = state, !waiting.isEmpty {
            run(waiting.removeFirst())
        }
    }

    private func reply(_ bytes: ByteBuffer) {
        guard let context, case .open = state else { return }
        // Replies count against the same outbound buffer as events: a client that asks and never reads
        // is a subscriber that fell behind.
        guard context.channel.isWritable else { return closeTooSlow() }
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: bytes)), promise: nil)
    }

    // MARK: Pings and closing

    private func ping() {
        guard let context, case .open = state else { return }
        guard heard else {
            // Nothing since the last ping, not even its pong: the client or its network is gone.
            close(.goingAway, reason: "ping timeout", after: .zero)
            return
        }
        heard = false
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer())), promise: nil)
    }

    private func closeTooSlow() {
        guard case .open = state else { return }
        endpoint.logger.notice("closing a subscriber that fell behind", metadata: ["buffer": "\(endpoint.limits.subscriberBufferBytes)"])
        // A client that never reads never takes the close frame either: the TCP connection ends later.
        close(Self.tooSlow, reason: "too slow: reconnect and subscribe with since", after: .seconds(30))
    }

    /// Sends a close frame and stops everything else; the TCP connection ends when the client answers, or
    /// after `after` (the close timeout by default).
    private func close(_ code: WebSocketErrorCode, reason: String, after: TimeAmount? = nil) {
        guard let context, case .open = state else { return }
        state = .closing
        unsubscribeAll()
        var data = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.write(webSocketErrorCode: code)
        data.writeString(String(reason.utf8.prefix(120)) ?? "")
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)), promise: nil)
        let channel = context.channel
        let wait = after ?? endpoint.closeTimeout
        if wait == .zero {
            channel.close(promise: nil)
        } else {
            Self.close(channel, after: wait)
        }
    }

    /// The client's close frame: answered (RFC 6455 §5.5.1) unless ours went first, then the connection ends
    /// once the answer is written, or after the close timeout if the client does not read it. The answer is
    /// 1000, or 1002 for a close frame that breaks the rules (a 1-byte payload, a code no endpoint may send,
    /// a reason that is not UTF-8), as the Hummingbird path answered.
    private func answerClose(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        let channel = context.channel
        guard case .open = state else {
            channel.close(promise: nil)
            return
        }
        state = .closing
        unsubscribeAll()
        var echo = context.channel.allocator.buffer(capacity: 2)
        echo.write(webSocketErrorCode: Self.isValidClose(frame.unmaskedData) ? .normalClosure : .protocolError)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: echo))).assumeIsolated().whenComplete { _ in
            channel.close(promise: nil)
        }
        Self.close(channel, after: endpoint.closeTimeout)
    }

    /// Closes `channel` after `delay` unless it closes first (the timer then goes with it, rather than
    /// holding the channel's memory until it fires).
    private static func close(_ channel: any Channel, after delay: TimeAmount) {
        let timer = channel.eventLoop.scheduleTask(in: delay) { channel.close(promise: nil) }
        channel.closeFuture.whenComplete { _ in timer.cancel() }
    }

    /// A close frame's payload: empty, or a code an endpoint may send (RFC 6455 §7.4) and a UTF-8 reason.
    static func isValidClose(_ payload: ByteBuffer) -> Bool {
        var data = payload
        guard data.readableBytes > 0 else { return true }
        guard let code = data.readInteger(as: UInt16.self) else { return false }
        let allowed = (1000...1003).contains(code) || (1007...1014).contains(code) || (3000...4999).contains(code)
        return allowed && String(validating: data.readableBytesView, as: UTF8.self) != nil
    }

    private func unsubscribeAll() {
        for (channel, subscriber) in subscriptions {
            subscriber.close()
            endpoint.fanouts.remove(subscriber, channel: channel)
        }
        subscriptions = [:]
        waiting = []
    }

    /// The connection is gone: stop its subscriptions and its pings (once).
    private func end() {
        if case .ended = state { return }
        state = .ended
        pinger?.cancel()
        pinger = nil
        unsubscribeAll()
        RelayMetrics.shared.subscriberLeft()
    }
}
