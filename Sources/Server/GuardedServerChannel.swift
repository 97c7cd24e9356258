import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Wraps Hummingbird's HTTP/1.1 + WebSocket child channel with the server's own guards: `ConnectionGuard`
/// first on the raw bytes (the per-address limit, WebSocket frame checks) and `RequestGuard` right after
/// the request decoder (timeouts, answers to malformed requests).
struct GuardedServerChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let limiter: ConnectionLimiter
    let timeouts: RequestGuardStateMachine.Timeouts
    /// Largest WebSocket frame a client may send.
    let maxFramePayload: Int

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
        return base.setup(channel: channel, logger: logger).flatMapThrowing { [timeouts] value in
            if admitted != nil {
                let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
                try channel.pipeline.syncOperations.addHandler(RequestGuard(timeouts: timeouts), position: .after(decoder))
            }
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        // A connection the guards closed before its first request was complete (refused, malformed, timed
        // out; or a browser's unused preconnect) makes Hummingbird log "Error handling upgrade result" at
        // error level, one line per connection: under a slow-loris attack, thousands. Its other messages on
        // this logger are at debug or trace.
        var quiet = logger
        quiet.logLevel = .critical
        await base.handle(value: value, logger: quiet)
    }
}
