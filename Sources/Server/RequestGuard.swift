import NIOCore
import NIOHTTP1

/// Sits right after the HTTP/1.1 request decoder of every connection and carries out
/// `RequestGuardStateMachine`: read timeouts against slow or silent clients, and an answer to a request
/// the decoder cannot parse (Hummingbird's WebSocket-upgrading pipeline otherwise leaves such a
/// connection open and unanswered). Leaves the pipeline when the server switches the connection to
/// WebSocket (its `101` passes here before the upgrader removes the HTTP handlers).
final class RequestGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var machine: RequestGuardStateMachine
    private var timer: Scheduled<Void>?
    /// Set once this guard answered and is closing: later writes of the handlers behind it go nowhere.
    private var answered = false
    /// Close at the next flush (the answer that ends the connection is written but not yet flushed).
    private var closeAtFlush = false
    /// The connection switched to WebSocket: everything passes untouched until this guard has left.
    private var leaving = false

    init(timeouts: RequestGuardStateMachine.Timeouts) {
        machine = RequestGuardStateMachine(timeouts: timeouts)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        perform(machine.started(), context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !leaving else { return context.fireChannelRead(data) }
        guard !answered, !closeAtFlush else { return }
        // During a WebSocket upgrade the upgrader removes the request decoder before the `101` goes out, and
        // the decoder hands on the bytes the client sent behind its request as they are: pass them along.
        guard let part = context.channel._channelCore.tryUnwrapData(data, as: HTTPServerRequestPart.self) else {
            context.fireChannelRead(data)
            return
        }
        let action: RequestGuardStateMachine.Action
        switch part {
        case .head(let head): action = machine.receivedHead(asksForUpgrade: head.headers[canonicalForm: "upgrade"].contains { $0.lowercased() == "websocket" })
        case .body: action = machine.receivedBodyPart()
        case .end: action = machine.receivedEnd()
        }
        context.fireChannelRead(data)
        perform(action, context: context)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !leaving else { return context.write(data, promise: promise) }
        guard !answered else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        let action: RequestGuardStateMachine.Action
        var data = data
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status != .continue:
            if machine.isAnsweringEarly {
                // Answered before the body was read: the connection ends with this answer; say so.
                head.headers.replaceOrAdd(name: "Connection", value: "close")
                data = wrapOutboundOut(.head(head))
            }
            action = machine.sentHead(switchingProtocols: head.status == .switchingProtocols)
        case .end: action = machine.sentEnd()
        default: action = .none
        }
        context.write(data, promise: promise)
        perform(action, context: context)
    }

    func flush(context: ChannelHandlerContext) {
        context.flush()
        if closeAtFlush {
            closeAtFlush = false
            closeGently(context: context)
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // Hummingbird half-closes first (`.output`), then closes: the answer has to go in before either.
        guard !leaving, mode != .input, case .respondAndClose(let status) = machine.closing() else {
            return context.close(mode: mode, promise: promise)
        }
        answer(status, context: context)
        promise?.succeed()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        // Answered here: passing it on would only make the handlers behind log it as a failure of theirs.
        perform(machine.parseFailed(parseError), context: context)
    }

    private func perform(_ action: RequestGuardStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .arm(let delay):
            timer?.cancel()
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
                perform(machine.timerFired(), context: context)
            }
        case .disarm:
            timer?.cancel()
            timer = nil
        case .respondAndClose(let status):
            timer?.cancel()
            answer(status, context: context)
        case .close:
            timer?.cancel()
            answered = true
            context.close(promise: nil)
        case .closeAfterFlush:
            timer?.cancel()
            closeAtFlush = true
        case .leave:
            timer?.cancel()
            // Not from inside `write`: the upgrader's write-and-flush would then flush into a guard that has
            // left, and the `101` would never go out. Frames written meanwhile pass untouched.
            leaving = true
            context.eventLoop.assumeIsolated().execute {
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            }
        }
    }

    /// Writes a short JSON error answer with `Connection: close`, then closes.
    private func answer(_ status: HTTPResponseStatus, context: ChannelHandlerContext) {
        answered = true
        let (code, message) = switch status {
        case .requestTimeout: ("request_timeout", "the request did not arrive in time")
        case .requestHeaderFieldsTooLarge: ("headers_too_large", "the request headers are larger than allowed")
        default: ("bad_request", "the request is not valid HTTP/1.1 (or not a valid WebSocket upgrade)")
        }
        let body = ByteBuffer(string: #"{"error":{"code":"\#(code)","message":"\#(message)"}}"#)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(body.readableBytes)")
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Cache-Control", value: "no-store")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
        context.flush()
        closeGently(context: context)
    }

    /// Ends the output after what was written, drops further input for a while, then closes.
    private func closeGently(context: ChannelHandlerContext) {
        answered = true
        context.closeAfterLinger()
    }
}
