import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import RelayTransport

/// Wraps Hummingbird's HTTP/1.1 child channel with the server's own guards: `ConnectionGuard` first on the
/// raw bytes (the per-address limit, WebSocket frame checks) and `RequestGuard` right after the request
/// decoder (timeouts, answers to malformed requests). With a `webSocket` endpoint, `FirstRequestRouter`
/// reads the first request head and gives `/ws` upgrades to the relay's own pipeline: such a connection
/// has no Hummingbird task, its `handle` returns at once.
struct GuardedServerChannel<Base: ServerChildChannel>: ServerChildChannel {
    enum Value: ServerChildChannelValue {
        case http(Base.Value)
        /// The first request head decides (`FirstRequestRouter`): NIO registers a connection for reads
        /// only once its setup future is complete, so the decision is a future of its own.
        case routing(any Channel, EventLoopFuture<Routed>)

        var channel: any Channel {
            switch self {
            case .http(let value): value.channel
            case .routing(let channel, _): channel
            }
        }
    }

    enum Routed: Sendable {
        case http(Base.Value)
        /// Served by `WebSocketConnection` on its event loop; nothing to run here.
        case webSocket
    }

    let base: Base
    let limiter: ConnectionLimiter
    let timeouts: RequestGuardStateMachine.Timeouts
    /// Largest WebSocket frame a client may send.
    let maxFramePayload: Int
    /// `/ws` on the relay's own pipeline (nil: `base` serves every request, upgrades included).
    let webSocket: WebSocketEndpoint?
    /// Largest first request head `FirstRequestRouter` reads before it leaves the request to HTTP.
    let maxHeadBytes: Int

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let admitted = limiter.admit(channel.remoteAddress)
        if let admitted {
            channel.closeFuture.whenComplete { [limiter] _ in limiter.release(admitted) }
        }
        do {
            try channel.pipeline.syncOperations.addHandler(ConnectionGuard(refuse: admitted == nil, maxFramePayload: maxFramePayload), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        guard admitted != nil, let webSocket else { return setupHTTP(channel: channel, logger: logger, guarded: admitted != nil) }
        let promise = channel.eventLoop.makePromise(of: Routed.self)
        let routes = FirstRequestRouter.Routes(
            http: {
                // Hummingbird's HTTP/1.1 setup adds its handlers before it returns (its future is already
                // complete): the guard goes behind the decoder now, before the router replays the head.
                let value = base.setup(channel: channel, logger: logger)
                do {
                    try addRequestGuard(channel)
                    promise.completeWith(value.map { .http($0) })
                } catch {
                    promise.fail(error)
                    channel.close(promise: nil)
                }
            },
            webSocket: { promise.succeed(.webSocket) }
        )
        do {
            try channel.pipeline.syncOperations.addHandler(FirstRequestRouter(endpoint: webSocket, headerTimeout: timeouts.header, maxHeadBytes: maxHeadBytes, routes: routes))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        // However a connection ends before a decision (timed out, refused, a failed write of the 101, a
        // channel that never became active), its close ends the wait in `handle`; a completed promise
        // ignores this.
        channel.closeFuture.whenComplete { _ in promise.fail(ChannelError.ioOnClosedChannel) }
        return channel.eventLoop.makeSucceededFuture(.routing(channel, promise.futureResult))
    }

    /// Hummingbird's pipeline, with `RequestGuard` after its decoder (not for a refused connection).
    private func setupHTTP(channel: any Channel, logger: Logger, guarded: Bool) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            if guarded { try addRequestGuard(channel) }
            return .http(value)
        }
    }

    private func addRequestGuard(_ channel: any Channel) throws {
        let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
        try channel.pipeline.syncOperations.addHandler(RequestGuard(timeouts: timeouts), position: .after(decoder))
    }

    func handle(value: Value, logger: Logger) async {
        let http: Base.Value
        switch value {
        case .http(let value): http = value
        case .routing(_, let routed):
            // A WebSocket's task ends here, once its handshake is done.
            guard case .http(let value)? = try? await routed.get() else { return }
            http = value
        }
        // A connection the guards closed before its first request was complete (refused, malformed, timed
        // out; or a browser's unused preconnect) makes Hummingbird log "Error handling upgrade result" at
        // error level, one line per connection: under a slow-loris attack, thousands. Its other messages on
        // this logger are at debug or trace.
        var quiet = logger
        quiet.logLevel = .critical
        await base.handle(value: http, logger: quiet)
    }
}
