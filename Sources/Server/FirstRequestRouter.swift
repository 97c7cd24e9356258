import NIOCore
import RelayTransport

/// Reads a connection's first request head, as raw bytes, and decides who serves the connection: a
/// WebSocket upgrade to `/ws` is answered here and the connection becomes the relay's own pipeline
/// (`WebSocketEndpoint`); anything else (or anything this does not fully understand) goes to Hummingbird's
/// HTTP/1.1 pipeline, which is set up behind this handler and handed every byte read so far.
///
/// Until the head is complete it is timed like any request head (`http.headerTimeout`: 408) and kept to
/// `maxHeadBytes` (more goes to the HTTP pipeline, which answers 431).
final class FirstRequestRouter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Who takes the connection: at most one of these is called, once. A connection closed before either
    /// (timed out, refused handshake, client gone) is the caller's to notice, on its close future.
    struct Routes {
        /// Set up the HTTP pipeline after this handler (the bytes follow).
        let http: () -> Void
        /// The connection is the relay's WebSocket now.
        let webSocket: () -> Void
    }

    private let endpoint: WebSocketEndpoint
    private let headerTimeout: TimeAmount
    private let maxHeadBytes: Int
    private let routes: Routes
    private var buffered = ByteBuffer()
    private var head = HeadEndScanner()
    private var decided = false
    /// A refusal is on its way out: nothing more is read.
    private var refusing = false
    private var timer: Scheduled<Void>?

    init(endpoint: WebSocketEndpoint, headerTimeout: TimeAmount, maxHeadBytes: Int, routes: Routes) {
        self.endpoint = endpoint
        self.headerTimeout = headerTimeout
        self.maxHeadBytes = maxHeadBytes
        self.routes = routes
    }

    func handlerAdded(context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: headerTimeout) { [weak self] in
            guard let self, !self.decided, !self.refusing else { return }
            self.refuse(rawAnswer(status: 408, code: "request_timeout", message: "the request did not arrive in time"), context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !decided, !refusing else { return }
        var bytes = unwrapInboundIn(data)
        let before = buffered.readableBytes
        let end = head.scan(bytes.readableBytesView)
        buffered.writeBuffer(&bytes)
        // Anything that is not `GET /ws ` or `GET /ws?` from its first bytes goes to HTTP at once: only an
        // upgrade's head is waited for here.
        guard Self.mayBeUpgrade(buffered.readableBytesView) else { return toHTTP(context: context) }
        if let end {
            route(headLength: before + end, context: context)
        } else if buffered.readableBytes > maxHeadBytes {
            toHTTP(context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // A client that ends its side before its first request is complete sends nothing more.
        if case ChannelEvent.inputClosed = event, !decided {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    private static let upgradeStart = Array("GET /ws".utf8)

    /// Whether the bytes so far can still be the start of `GET /ws ` or `GET /ws?…`.
    static func mayBeUpgrade(_ bytes: ByteBufferView) -> Bool {
        let known = min(bytes.count, upgradeStart.count)
        guard bytes.prefix(known).elementsEqual(upgradeStart.prefix(known)) else { return false }
        guard bytes.count > upgradeStart.count else { return true }
        let next = bytes[bytes.startIndex + upgradeStart.count]
        return next == UInt8(ascii: " ") || next == UInt8(ascii: "?")
    }

    private func route(headLength: Int, context: ChannelHandlerContext) {
        let head = String(decoding: buffered.readableBytesView.prefix(headLength), as: UTF8.self)
        guard let headers = WebSocketRequest.headers(ofUpgrade: head, path: "/ws") else { return toHTTP(context: context) }
        switch endpoint.handshake(headers: headers) {
        case .refuse(let status, let code, let message, let extra):
            refuse(rawAnswer(status: status, code: code, message: message, headers: extra), context: context)
        case .accept(let response, let deflate):
            decided = true
            timer?.cancel()
            context.writeAndFlush(wrapOutboundOut(response), promise: nil)
            do {
                try endpoint.upgrade(context.channel, deflate: deflate)
            } catch {
                context.close(promise: nil)
                return
            }
            routes.webSocket()
            // Frames the client sent right behind its request go to the WebSocket decoder.
            buffered.moveReaderIndex(forwardBy: headLength)
            let tail = buffered
            buffered = ByteBuffer()
            if tail.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(tail)) }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    private func toHTTP(context: ChannelHandlerContext) {
        decided = true
        timer?.cancel()
        routes.http()
        let bytes = buffered
        buffered = ByteBuffer()
        context.fireChannelRead(wrapInboundOut(bytes))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func refuse(_ answer: ByteBuffer, context: ChannelHandlerContext) {
        refusing = true
        timer?.cancel()
        buffered = ByteBuffer()
        context.writeAndFlush(wrapOutboundOut(answer), promise: nil)
        context.closeAfterLinger()
    }
}
