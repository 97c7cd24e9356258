import CompressNIO
import NIOCore
import NIOWebSocket
import Testing
@testable import RelayTransport

@Suite("WebSocket messages from frames")
struct InboundMessagesTests {
    static let key = WebSocketMaskingKey([1, 2, 3, 4])!

    static func frame(_ opcode: WebSocketOpcode, _ text: String, fin: Bool = true, rsv1: Bool = false) -> WebSocketFrame {
        WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, maskKey: key, data: masked(ByteBuffer(string: text)))
    }

    /// The payload as a client sends it: masked with 1 2 3 4 (the frame unmasks it for `unmaskedData`).
    static func masked(_ bytes: ByteBuffer) -> ByteBuffer {
        var buffer = bytes
        buffer.webSocketMask(key)
        return buffer
    }

    /// permessage-deflate as a browser sends it: raw deflate, sync flush, the 00 00 FF FF tail removed.
    static func compressed(_ text: String) throws -> ByteBuffer {
        let compressor = try ZlibCompressor(algorithm: .deflate)
        var input = ByteBuffer(string: text)
        var output = ByteBuffer()
        output.reserveCapacity(text.utf8.count + 64)
        try compressor.deflate(from: &input, to: &output, flush: .sync)
        output.moveWriterIndex(to: output.writerIndex - 4)
        return output
    }

    @Test("a message in one frame, and one in three fragments, come out whole; binary stays binary")
    func assembles() throws {
        var messages = InboundMessages(maxBytes: 100, deflate: false)
        #expect(try messages.take(Self.frame(.text, #"{"op":"ping"}"#)) == .text(#"{"op":"ping"}"#))
        #expect(try messages.take(Self.frame(.text, "ab", fin: false)) == nil)
        #expect(try messages.take(Self.frame(.continuation, "cd", fin: false)) == nil)
        #expect(try messages.take(Self.frame(.continuation, "ef")) == .text("abcdef"))
        #expect(try messages.take(Self.frame(.binary, "xy")) == .binary(ByteBuffer(string: "xy")))
    }

    @Test("violations name their close code: too large 1009 (across fragments too), not UTF-8 1007, out-of-order fragments and RSV bits 1002")
    func violations() {
        func violation(_ frames: [WebSocketFrame], deflate: Bool = false) -> InboundMessages.Violation? {
            var messages = InboundMessages(maxBytes: 10, deflate: deflate)
            do {
                for frame in frames { _ = try messages.take(frame) }
                return nil
            } catch {
                return error
            }
        }
        #expect(violation([Self.frame(.text, String(repeating: "a", count: 11))])?.code == .messageTooLarge)
        #expect(violation([Self.frame(.text, "aaaaaa", fin: false), Self.frame(.continuation, "aaaaa")])?.code == .messageTooLarge)
        let invalid = WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: [0xFF, 0xFE]))
        #expect(violation([invalid])?.code == .dataInconsistentWithMessage)
        #expect(violation([Self.frame(.continuation, "a")])?.code == .protocolError)
        #expect(violation([Self.frame(.text, "a", fin: false), Self.frame(.text, "b")])?.code == .protocolError)
        #expect(violation([Self.frame(.text, "a", rsv1: true)])?.code == .protocolError, "RSV1 without permessage-deflate")
        #expect(violation([Self.frame(.text, "a", fin: false), Self.frame(.continuation, "b", rsv1: true)], deflate: true)?.code == .protocolError)
        #expect(violation([Self.frame(.text, "a")]) == nil)
    }

    @Test("a compressed message inflates; one that inflates past the limit is 1009, garbage is 1007")
    func inflates() throws {
        var messages = InboundMessages(maxBytes: 1_000, deflate: true)
        let text = #"{"op":"subscribe","channel":"senate","since":12}"#
        let compressed = try Self.compressed(text)
        let frame = WebSocketFrame(fin: true, rsv1: true, opcode: .text, data: compressed)
        #expect(try messages.take(frame) == .text(text))
        // Each message is inflated on its own (no context takeover): the same bytes again give the same text.
        #expect(try messages.take(frame) == .text(text))
        let bomb = WebSocketFrame(fin: true, rsv1: true, opcode: .text, data: try Self.compressed(String(repeating: "a", count: 100_000)))
        #expect(bomb.data.readableBytes < 1_000)
        #expect(throws: InboundMessages.Violation(code: .messageTooLarge, reason: "message too large once inflated")) { try messages.take(bomb) }
        var fresh = InboundMessages(maxBytes: 1_000, deflate: true)
        let garbage = WebSocketFrame(fin: true, rsv1: true, opcode: .text, data: ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0x00, 0x12]))
        #expect(throws: InboundMessages.Violation(code: .dataInconsistentWithMessage, reason: "compressed data that does not inflate")) { try fresh.take(garbage) }
    }
}
