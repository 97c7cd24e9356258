import Foundation
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Relay
import Testing
@testable import RelayTransport

@Suite("Per-loop fan-out")
struct LoopFanoutTests {
    /// Counts what reaches the socket end of the pipeline.
    final class WireCounter: ChannelOutboundHandler {
        typealias OutboundIn = WebSocketFrame
        var frames: [WebSocketFrame] = []
        var flushes = 0

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            frames.append(unwrapOutboundIn(data))
            promise?.succeed()
        }

        func flush(context: ChannelHandlerContext) { flushes += 1 }
    }

    static func event(_ seq: Int64) throws -> EncodedEvent {
        try EncodedEvent(Event(seq: seq, id: "e\(seq)", channel: "senate", sitting: nil, type: .notice, at: Date(timeIntervalSince1970: 1_795_400_000), data: .object(["text": "n"])))
    }

    @Test("a burst handed off before the loop runs is written to each subscriber together and flushed once; the next event is its own write")
    func coalesces() throws {
        let loop = EmbeddedEventLoop()
        let counters = [WireCounter(), WireCounter(), WireCounter()]
        let fanout = LoopFanout(eventLoop: loop)
        for counter in counters {
            let channel = EmbeddedChannel(handler: counter, loop: loop)
            let subscriber = DirectSubscriber(connection: channel, heldLimit: 10, onOverflow: {})
            fanout.add(subscriber)
            subscriber.goLive(after: 0)
        }
        loop.run()
        for seq in 1...50 { #expect(fanout.deliver(try Self.event(Int64(seq)))) }
        loop.run()
        for counter in counters {
            #expect(counter.frames.count == 50)
            #expect(counter.flushes == 1, "one writev for the burst")
            #expect(counter.frames.map { String(buffer: $0.data) } == (1...50).map { String(buffer: try! Self.event(Int64($0)).webSocketText) })
        }
        _ = fanout.deliver(try Self.event(51))
        loop.run()
        #expect(counters.allSatisfy { $0.frames.count == 51 && $0.flushes == 2 })
    }
}
