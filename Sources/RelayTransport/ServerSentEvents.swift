import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Relay
import ServiceLifecycle

/// `GET …/events/stream`: the channel's events as Server-Sent Events (`id:` = seq), resuming after
/// `Last-Event-ID`; without it, a `snapshot` event first. A comment line every 15 s keeps proxies from
/// closing an idle stream. A reader too slow for its queue is ended; its browser reconnects with Last-Event-ID.
public struct ServerSentEvents: Sendable {
    let relay: Relay
    let channel: String
    let since: Int64?
    let queueLimit: Int
    /// The HTTP connection: closed when a write stalls (the reader stopped reading).
    let connection: any Channel

    private enum Message: Sendable {
        case event(EncodedEvent)
        case heartbeat
    }

    public init(relay: Relay, channel: String, since: Int64?, queueLimit: Int, connection: any Channel) {
        self.relay = relay
        self.channel = channel
        self.since = since
        self.queueLimit = queueLimit
        self.connection = connection
    }

    /// The streaming response.
    public func response() -> Response {
        let headers: HTTPFields = [
            .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache",
            HTTPField.Name("X-Accel-Buffering")!: "no",
        ]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            let queue = BoundedQueue<Message>(limit: queueLimit)
            let subscriber = FeedSubscriber(queue: queue) { .event($0) }
            relay.hub.add(subscriber, channel: channel)
            RelayMetrics.shared.subscriberJoined()
            let heartbeat = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(15))
                    guard queue.offer(.heartbeat) else { return }
                }
            }
            defer {
                heartbeat.cancel()
                relay.hub.remove(subscriber, channel: channel)
                queue.finish()
                RelayMetrics.shared.subscriberLeft()
            }
            var last = try await CatchUp.run(relay: relay, channel: channel, since: since) { items in
                var page = ByteBuffer()
                for item in items {
                    switch item {
                    case .event(let event): page.writeImmutableBuffer(event.serverSentEvent)
                    case .snapshot(let seq, let state):
                        let body = try EventCoding.encoder.encode(SnapshotMessage(channel: channel, seq: seq, state: state))
                        page.writeString("event: snapshot\ndata: \(String(decoding: body, as: UTF8.self))\n\n")
                    case .gap(let from, let to):
                        page.writeString("event: gap\ndata: {\"channel\":\"\(channel)\",\"from\":\(from),\"to\":\(to)}\n\n")
                    }
                }
                let watchdog = stallGuard()
                defer { watchdog.cancel() }
                try await writer.write(page)
            }
            // On shutdown the stream ends; the browser reconnects (to another node) with Last-Event-ID.
            try await withGracefulShutdownHandler {
                for await message in queue.stream {
                    if queue.hasOverflowed { break }
                    let watchdog = stallGuard()
                    defer { watchdog.cancel() }
                    switch message {
                    case .heartbeat: try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    case .event(let event) where event.seq > last:
                        try await writer.write(event.serverSentEvent)
                        RelayMetrics.shared.delivered()
                        last = event.seq
                    case .event: continue
                    }
                }
            } onGracefulShutdown: {
                queue.finish()
            }
            try await writer.finish(nil)
        })
    }
}

extension ServerSentEvents {
    /// Closes the connection if the write about to start has not finished in 30 s.
    func stallGuard() -> Scheduled<Void> {
        let connection = connection
        return connection.eventLoop.scheduleTask(in: .seconds(30)) { connection.close(promise: nil) }
    }
}

/// `{"op":"snapshot","channel","seq","state"}`.
struct SnapshotMessage: Encodable {
    var op = "snapshot"
    let channel: String
    let seq: Int64
    let state: ChannelState.Snapshot
}
