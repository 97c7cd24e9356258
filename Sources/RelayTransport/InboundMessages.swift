import CompressNIO
import NIOCore
import NIOWebSocket

/// Turns the frames a client sends into whole messages (RFC 6455 §5.4), with no sockets: fragments are
/// joined up to `maxBytes`, a compressed message (RFC 7692, RSV1 on its first frame) is inflated, text is
/// checked to be UTF-8. A violation names the close code to send. Control frames are not its business:
/// the connection answers them between fragments.
struct InboundMessages {
    /// A complete message.
    enum Message: Equatable {
        case text(String)
        case binary(ByteBuffer)
    }

    /// Why the connection must be closed, with the code to close it with.
    struct Violation: Error, Equatable {
        let code: WebSocketErrorCode
        let reason: String

        static func protocolError(_ reason: String) -> Violation { Violation(code: .protocolError, reason: reason) }
    }

    let maxBytes: Int
    /// permessage-deflate was negotiated: RSV1 marks a compressed message.
    let deflate: Bool
    /// The message being assembled: its opcode, whether it is compressed, its bytes so far.
    private var opcode: WebSocketOpcode?
    private var compressed = false
    private var bytes = ByteBuffer()

    init(maxBytes: Int, deflate: Bool) {
        self.maxBytes = maxBytes
        self.deflate = deflate
    }

    /// Takes one data frame (text, binary or continuation); the message it completes, if any.
    mutating func take(_ frame: WebSocketFrame) throws(Violation) -> Message? {
        if frame.rsv2 || frame.rsv3 { throw .protocolError("reserved bits set") }
        switch frame.opcode {
        case .text, .binary:
            guard opcode == nil else { throw .protocolError("a new message inside a fragmented one") }
            if frame.rsv1 && !deflate { throw .protocolError("RSV1 set without permessage-deflate") }
            opcode = frame.opcode
            compressed = frame.rsv1
        case .continuation:
            guard opcode != nil else { throw .protocolError("a continuation frame with no message to continue") }
            if frame.rsv1 { throw .protocolError("RSV1 set on a continuation frame") }
        default:
            throw .protocolError("not a data frame")
        }
        var data = frame.unmaskedData
        guard bytes.readableBytes + data.readableBytes <= maxBytes else { throw Violation(code: .messageTooLarge, reason: "message too large") }
        if bytes.readableBytes == 0 && frame.fin {
            // The usual case, a message in one frame: no copy.
            bytes = data
        } else {
            bytes.writeBuffer(&data)
        }
        guard frame.fin, let kind = opcode else { return nil }
        defer {
            opcode = nil
            bytes = ByteBuffer()
        }
        let payload = compressed ? try inflated(bytes) : bytes
        if kind == .binary { return .binary(payload) }
        guard let text = String(validating: payload.readableBytesView, as: UTF8.self) else {
            throw Violation(code: .dataInconsistentWithMessage, reason: "text that is not UTF-8")
        }
        return .text(text)
    }

    /// The message's bytes, inflated with a fresh zlib stream (no context takeover was negotiated): the
    /// stream is made here and freed on return, so an idle connection holds none.
    private func inflated(_ message: ByteBuffer) throws(Violation) -> ByteBuffer {
        var input = message
        // RFC 7692 §7.2.2: the sender removed the final empty block's tail; put it back.
        input.writeBytes([0x00, 0x00, 0xFF, 0xFF])
        do {
            return try input.decompress(with: .deflate, maxSize: maxBytes)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw Violation(code: .messageTooLarge, reason: "message too large once inflated")
        } catch {
            throw Violation(code: .dataInconsistentWithMessage, reason: "compressed data that does not inflate")
        }
    }
}
