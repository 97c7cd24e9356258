import NIOCore
import RelayTransport

/// The first handler of every connection, on the raw bytes:
/// - a connection over its address's limit (`ConnectionLimiter`) is answered 503 and closed, unread;
/// - once the server answers `101 Switching Protocols`, every frame header the client sends is checked
///   by `WebSocketFrameScanner` before anything decodes it, and a violation is answered with a close frame
///   (1002, 1009) and the end of the connection.
/// A connection whose first answer is plain HTTP has nothing more to check: the guard leaves it.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private enum Mode {
        /// Refused: the 503 is sent and nothing is read.
        case refused
        /// Before the first answer: looking for the end of the first request head, keeping what follows it
        /// in `tail` (a client may send frames right behind its upgrade request).
        case firstRequest
        case webSocket
        /// Plain HTTP, leaving: everything passes.
        case passing
        case closing
    }

    private var mode: Mode
    private let maxFramePayload: Int
    // The state of each mode lives in stored properties, not in the enum: mutating an associated value
    // copies it (the whole tail, the scanner's header) on every read.
    private var head = HeadEndScanner()
    private var headEnded = false
    private var tail = ByteBuffer()
    private var scanner: WebSocketFrameScanner
    /// Most bytes kept from behind the first request head while its answer is pending.
    private static let tailLimit = 64 * 1024

    init(refuse: Bool, maxFramePayload: Int) {
        mode = refuse ? .refused : .firstRequest
        self.maxFramePayload = maxFramePayload
        scanner = WebSocketFrameScanner(maxPayload: maxFramePayload)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if case .refused = mode, context.channel.isActive { refuse(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if case .refused = mode { refuse(context: context) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch mode {
        case .refused, .closing:
            return
        case .passing:
            break
        case .firstRequest:
            let buffer = unwrapInboundIn(data)
            if headEnded {
                if tail.readableBytes <= Self.tailLimit { tail.writeImmutableBuffer(buffer) }
            } else {
                findEndOfHead(buffer)
            }
        case .webSocket:
            if let violation = scanner.scan(unwrapInboundIn(data).readableBytesView) {
                close(violation, context: context)
                return
            }
        }
        context.fireChannelRead(data)
    }

    /// Looks for the blank line that ends the first request head; keeps the bytes after it.
    private func findEndOfHead(_ buffer: ByteBuffer) {
        guard let end = head.scan(buffer.readableBytesView) else { return }
        headEnded = true
        if let rest = buffer.getSlice(at: buffer.readerIndex + end, length: buffer.readableBytes - end) {
            tail.writeImmutableBuffer(rest)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .firstRequest = mode, case .byteBuffer(let buffer) = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        context.write(data, promise: promise)
        guard buffer.readableBytesView.starts(with: "HTTP/1.1 101 ".utf8) else {
            // Plain HTTP: nothing more to check. Left on the next turn of the loop, not from inside `write`
            // (a write-and-flush into this handler would flush into a handler that had left).
            mode = .passing
            context.eventLoop.assumeIsolated().execute {
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            }
            return
        }
        mode = .webSocket
        if tail.readableBytes > Self.tailLimit {
            close(.tooLarge(UInt64(tail.readableBytes)), context: context)
        } else if let violation = scanner.scan(tail.readableBytesView) {
            close(violation, context: context)
        }
        tail = ByteBuffer()
    }

    /// `503` without reading the request: the address has too many connections open.
    private func refuse(context: ChannelHandlerContext) {
        mode = .closing
        let text = rawAnswer(status: 503, code: "too_many_connections", message: "too many connections from this address", headers: [("Retry-After", "5")])
        // Closed as soon as it is written, with no lingering: under a flood of connections the descriptors
        // matter more than the courtesy.
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(text))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// A WebSocket close frame with the violation's code and reason (unmasked: it goes server → client).
    private func close(_ violation: WebSocketFrameScanner.Violation, context: ChannelHandlerContext) {
        mode = .closing
        let reason = Array(violation.reason.utf8.prefix(120))
        var frame = ByteBuffer()
        frame.writeBytes([0x88, UInt8(2 + reason.count), UInt8(violation.closeCode >> 8), UInt8(violation.closeCode & 0xFF)])
        frame.writeBytes(reason)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(frame)), promise: nil)
        context.closeAfterLinger()
    }
}
