import NIOCore

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
        /// Before the first answer: looking for the end of the first request head, keeping what follows
        /// it (a client may send frames right behind its upgrade request).
        case firstRequest(headEnded: Bool, tail: [UInt8], recent: UInt32)
        case webSocket(WebSocketFrameScanner)
        case closing
    }

    private var mode: Mode
    private let maxFramePayload: Int
    /// Most bytes kept from behind the first request head while its answer is pending.
    private static let tailLimit = 64 * 1024

    init(refuse: Bool, maxFramePayload: Int) {
        mode = refuse ? .refused : .firstRequest(headEnded: false, tail: [], recent: 0)
        self.maxFramePayload = maxFramePayload
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if case .refused = mode, context.channel.isActive { refuse(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if case .refused = mode { refuse(context: context) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        switch mode {
        case .refused, .closing:
            return
        case .firstRequest(var headEnded, var tail, var recent):
            for byte in buffer.readableBytesView {
                if headEnded {
                    if tail.count <= Self.tailLimit { tail.append(byte) }
                } else {
                    recent = recent << 8 | UInt32(byte)
                    headEnded = recent == 0x0D0A_0D0A
                }
            }
            mode = .firstRequest(headEnded: headEnded, tail: tail, recent: recent)
        case .webSocket(var scanner):
            if let violation = scanner.scan(buffer.readableBytesView) {
                close(violation, context: context)
                return
            }
            mode = .webSocket(scanner)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .firstRequest(_, let tail, _) = mode else {
            context.write(data, promise: promise)
            return
        }
        guard case .byteBuffer(let buffer) = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        context.write(data, promise: promise)
        guard buffer.readableBytesView.starts(with: "HTTP/1.1 101 ".utf8) else {
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        var scanner = WebSocketFrameScanner(maxPayload: maxFramePayload)
        if tail.count > Self.tailLimit {
            close(.tooLarge(UInt64(tail.count)), context: context)
        } else if let violation = scanner.scan(tail) {
            close(violation, context: context)
        } else {
            mode = .webSocket(scanner)
        }
    }

    /// `503` without reading the request: the address has too many connections open.
    private func refuse(context: ChannelHandlerContext) {
        mode = .closing
        let body = #"{"error":{"code":"too_many_connections","message":"too many connections from this address"}}"#
        let text = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Retry-After: 5\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n" + body
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(ByteBuffer(string: text)))).assumeIsolated().whenComplete { _ in
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
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(frame))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
