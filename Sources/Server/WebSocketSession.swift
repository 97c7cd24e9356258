import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Relay

/// One `/ws` connection: any number of channel subscriptions, one bounded outgoing queue, one writer.
/// Every message to the client (events, snapshots, replies) goes through the writer in queue order, and
/// a subscribe is carried out by the writer itself, so replayed and live events never interleave wrongly.
struct WebSocketSession: Sendable {
    let relay: Relay
    let settings: ServerConfiguration.RelaySettings
    let logger: Logger

    enum Message: Sendable {
        case event(EncodedEvent)
        case subscribe(channel: String, since: Int64?)
        case unsubscribe(channel: String)
        case reply(ByteBuffer)
    }

    /// Close code for a subscriber that fell behind (SPEC.md).
    static let tooSlow = WebSocketErrorCode(codeNumber: 4008)

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let queue = BoundedQueue<Message>(limit: settings.subscriberQueue)
        RelayMetrics.shared.subscriberJoined()
        defer { RelayMetrics.shared.subscriberLeft() }
        var subscriptions: [String: FeedSubscriber<Message>] = [:]
        defer {
            for (channel, subscriber) in subscriptions { relay.hub.remove(subscriber, channel: channel) }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { queue.finish() }
                try await readClientMessages(inbound, into: queue, outbound: outbound)
            }
            var lastSent: [String: Int64] = [:]
            for await message in queue.stream {
                if queue.hasOverflowed { break }
                switch message {
                case .event(let event):
                    guard let last = lastSent[event.channel], event.seq > last else { continue }
                    try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: event.webSocketText)))
                    RelayMetrics.shared.delivered()
                    lastSent[event.channel] = event.seq
                case .subscribe(let channel, let since):
                    if let previous = subscriptions.removeValue(forKey: channel) { relay.hub.remove(previous, channel: channel) }
                    let subscriber = FeedSubscriber(queue: queue) { .event($0) }
                    relay.hub.add(subscriber, channel: channel)
                    subscriptions[channel] = subscriber
                    lastSent[channel] = try await CatchUp.run(relay: relay, channel: channel, since: since) { item in
                        try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: try Self.encode(item, channel: channel))))
                    }
                case .unsubscribe(let channel):
                    if let subscriber = subscriptions.removeValue(forKey: channel) { relay.hub.remove(subscriber, channel: channel) }
                    lastSent[channel] = nil
                case .reply(let bytes):
                    try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: bytes)))
                }
            }
            group.cancelAll()
            if queue.hasOverflowed {
                logger.notice("closing a subscriber that fell behind", metadata: ["queue": "\(settings.subscriberQueue)"])
                try? await outbound.close(Self.tooSlow, reason: "too slow: reconnect and subscribe with since")
            }
        }
    }

    /// Parses client messages into queue commands; malformed ones get an `error` reply, the connection stays.
    private func readClientMessages(_ inbound: WebSocketInboundStream, into queue: BoundedQueue<Message>, outbound: WebSocketOutboundWriter) async throws {
        var limiter = RateLimiter(perSecond: settings.clientMessagesPerSecond)
        var refused = 0
        for try await message in inbound.messages(maxSize: settings.maxClientMessageBytes) {
            guard limiter.allow() else {
                refused += 1
                if refused > settings.clientMessagesPerSecond * 10 {
                    try? await outbound.close(.policyViolation, reason: "too many messages")
                    return
                }
                queue.offer(.reply(Self.error("rate_limited", "more than \(settings.clientMessagesPerSecond) messages a second")))
                continue
            }
            guard case .text(let text) = message else {
                queue.offer(.reply(Self.error("invalid_message", "send JSON text frames")))
                continue
            }
            queue.offer(command(text))
        }
    }

    private func command(_ text: String) -> Message {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)), value.object != nil else {
            return .reply(Self.error("invalid_json", "a message must be a JSON object"))
        }
        switch value["op"]?.string {
        case "ping": return .reply(ByteBuffer(string: #"{"op":"pong"}"#))
        case "subscribe", "unsubscribe":
            guard let channel = value["channel"]?.string else { return .reply(Self.error("missing_field", "channel is required")) }
            guard relay.channels.contains(channel) else { return .reply(Self.error("not_found", "no channel \(channel)")) }
            if value["op"]?.string == "unsubscribe" { return .unsubscribe(channel: channel) }
            switch value["since"] {
            case nil, .null?: return .subscribe(channel: channel, since: nil)
            case .int(let since)? where since >= 0: return .subscribe(channel: channel, since: since)
            default: return .reply(Self.error("invalid_value", "since must be a non-negative integer"))
            }
        case let op?: return .reply(Self.error("unknown_op", "unknown op \(op)"))
        case nil: return .reply(Self.error("missing_field", "op is required"))
        }
    }

    static func error(_ code: String, _ message: String) -> ByteBuffer {
        let body = try? EventCoding.encoder.encode(["op": "error", "code": code, "message": message])
        return ByteBuffer(data: body ?? Data(#"{"op":"error"}"#.utf8))
    }

    static func encode(_ item: CatchUp.Item, channel: String) throws -> ByteBuffer {
        switch item {
        case .event(let event): return try EncodedEvent(event).webSocketText
        case .snapshot(let seq, let state): return ByteBuffer(data: try EventCoding.encoder.encode(SnapshotMessage(channel: channel, seq: seq, state: state)))
        case .gap(let from, let to): return ByteBuffer(string: #"{"op":"gap","channel":"\#(channel)","from":\#(from),"to":\#(to)}"#)
        }
    }
}

/// A token bucket: `perSecond` messages a second, bursts up to twice that.
struct RateLimiter {
    let perSecond: Int
    private var tokens: Double
    private var last = ContinuousClock.now

    init(perSecond: Int) {
        self.perSecond = perSecond
        tokens = Double(perSecond * 2)
    }

    mutating func allow() -> Bool {
        let now = ContinuousClock.now
        let elapsed = Double((now - last).components.attoseconds) / 1e18 + Double((now - last).components.seconds)
        last = now
        tokens = min(Double(perSecond * 2), tokens + elapsed * Double(perSecond))
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
