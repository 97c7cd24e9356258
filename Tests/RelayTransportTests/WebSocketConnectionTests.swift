import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Relay
import Testing
@testable import RelayTransport

/// The connection handler on an `EmbeddedChannel`: what it answers, synchronously, on its loop (the
/// catch-up's task and the fan-out are covered end to end).
@Suite("WebSocket connection handler")
struct WebSocketConnectionTests {
    static func connection(messagesPerSecond: Int = 20) async throws -> EmbeddedChannel {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("connection-\(UUID().uuidString).sqlite").path
        let relay = Relay(log: try await SQLiteEventLog.open(path: path), hub: Hub(), channels: ["senate"])
        let limits = SubscriberLimits(subscriberBufferBytes: 65_536, subscriberQueue: 64, clientMessagesPerSecond: messagesPerSecond, maxClientMessageBytes: 1024)
        let endpoint = WebSocketEndpoint(relay: relay, fanouts: FanoutRegistry(hub: relay.hub), limits: limits, pingInterval: .seconds(30), deflate: nil, logger: Logger(label: "test"))
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(WebSocketConnection(endpoint: endpoint, deflate: false))
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
        return channel
    }

    static func text(_ string: String) -> WebSocketFrame { WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: string)) }

    static func close(_ code: UInt16?, reason: [UInt8] = []) -> WebSocketFrame {
        var data = ByteBuffer()
        if let code { data.writeInteger(code) }
        data.writeBytes(reason)
        return WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
    }

    /// Text of every text frame written, and the close code if one was.
    static func written(_ channel: EmbeddedChannel) throws -> (texts: [String], close: UInt16?) {
        var texts: [String] = [], close: UInt16?
        while let frame = try channel.readOutbound(as: WebSocketFrame.self) {
            switch frame.opcode {
            case .text: texts.append(String(buffer: frame.data))
            case .connectionClose: close = frame.data.getInteger(at: frame.data.readerIndex, as: UInt16.self)
            default: texts.append("<\(frame.opcode)>")
            }
        }
        return (texts, close)
    }

    @Test("ping op → pong; malformed → an error reply and the connection stays; a control ping → a pong frame")
    func answers() async throws {
        let channel = try await Self.connection()
        try channel.writeInbound(Self.text(#"{"op":"ping"}"#))
        try channel.writeInbound(Self.text("not json"))
        try channel.writeInbound(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer(string: "p")))
        let (texts, close) = try Self.written(channel)
        #expect(texts.count == 3 && texts[0] == #"{"op":"pong"}"# && texts[1].contains("invalid_json") && texts[2] == "<\(WebSocketOpcode.pong)>")
        #expect(close == nil && channel.isActive)
    }

    @Test("a client's close is answered 1000 (1002 for a code no endpoint may send or a 1-byte payload) and the connection ends")
    func closeHandshake() async throws {
        for (frame, answer) in [(Self.close(4000), UInt16(1000)), (Self.close(nil), 1000), (Self.close(1005), 1002), (Self.close(999), 1002),
                                (Self.close(1000, reason: [0xFF]), 1002), (WebSocketFrame(fin: true, opcode: .connectionClose, data: ByteBuffer(bytes: [3])), 1002)] {
            let channel = try await Self.connection()
            try channel.writeInbound(frame)
            channel.embeddedEventLoop.run()
            #expect(try Self.written(channel).close == answer)
            #expect(!channel.isActive)
        }
    }

    @Test("follow replies with the whole set; past 200 bills, items and tags together it is refused and the set stays")
    func followLimits() async throws {
        let channel = try await Self.connection(messagesPerSecond: 1000)
        let ids = (0..<150).map { "\"b\($0)\"" }.joined(separator: ",")
        try channel.writeInbound(Self.text(#"{"op":"follow","billIds":[\#(ids)]}"#))
        let more = (0..<60).map { "\"t\($0)\"" }.joined(separator: ",")
        try channel.writeInbound(Self.text(#"{"op":"follow","tags":[\#(more)]}"#))
        let texts = try Self.written(channel).texts
        #expect(texts.count == 2 && texts[0].contains(#""op":"following""#) && texts[0].contains("b149"))
        #expect(texts[1].contains("too_many_follows"))
    }

    @Test("far over the message rate: rate_limited replies, then close 1008; a drain is close 1001; a half-close ends it")
    func rateDrainHalfClose() async throws {
        let flooded = try await Self.connection(messagesPerSecond: 2)
        for _ in 0..<30 where flooded.isActive { try flooded.writeInbound(Self.text(#"{"op":"ping"}"#)) }
        let flood = try Self.written(flooded)
        #expect(flood.texts.contains { $0.contains("rate_limited") } && flood.close == 1008)
        let drained = try await Self.connection()
        drained.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(try Self.written(drained).close == 1001)
        let halfClosed = try await Self.connection()
        halfClosed.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        halfClosed.embeddedEventLoop.run()
        #expect(!halfClosed.isActive)
    }
}
