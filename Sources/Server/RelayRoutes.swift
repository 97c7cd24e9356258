import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import Relay
import RelayTransport
import WallClock

/// Publishing and reading events over HTTP: POST events, GET state, GET events, SSE stream.
struct RelayRoutes: Sendable {
    let relay: Relay
    let settings: ServerConfiguration.RelaySettings

    func register(on router: Router<AppContext>) {
        router.post("/api/v1/channels/:channel/events") { request, context in
            try await publish(request, context)
        }
        router.get("/api/v1/channels/:channel/state") { _, context in
            let channel = try channelName(context)
            let head = try await relayCall { try await relay.head(channel: channel) }
            return try jsonResponse(StateBody(channel: channel, seq: head.seq, state: head.state.snapshot))
        }
        router.get("/api/v1/channels/:channel/events") { request, context in
            let channel = try channelName(context)
            let since = try integer(request.uri.queryParameters.get("since"), name: "since") ?? 0
            let limit = try request.limit(default: 100, maximum: 1000)
            let page = try await relayCall { try await relay.replay(channel: channel, after: since, limit: limit) }
            let oldest = try await relayCall { try await relay.oldestKept(channel: channel) }
            var head = try await relayCall { try await relay.head(channel: channel) }
            if let newest = page.events.last?.seq, newest > head.seq, relay.isShared {
                // Several nodes: the log holds events this node has not taken yet; take them, so `latest`
                // is never below an event in the page.
                try await relayCall { try await relay.catchUp(channel: channel) }
                head = try await relayCall { try await relay.head(channel: channel) }
            }
            return try eventsResponse(channel: channel, events: page.events, oldest: oldest, latest: max(head.seq, page.events.last?.seq ?? 0))
        }
        router.get("/api/v1/channels/:channel/events/stream") { request, context in
            let channel = try channelName(context)
            let header: String? = request.headers[HTTPField.Name("Last-Event-ID")!]
            let lastEventID = header ?? request.uri.queryParameters.get("since").map { String($0) }
            let since = try integer(lastEventID, name: "Last-Event-ID")
            return ServerSentEvents(relay: relay, channel: channel, since: since, queueLimit: settings.subscriberQueue, connection: context.channel).response()
        }
    }

    private func publish(_ request: Request, _ context: AppContext) async throws -> Response {
        let started = ContinuousClock.now
        let channel = try channelName(context)
        _ = try context.requirePublisher(to: channel, "publish to")
        let body = try await request.boundedBody(upTo: settings.maxBodyBytes)
        let (drafts, isBatch) = try relayCall { try EventBody.parse(body, maxBatch: settings.maxBatch) }
        let stored = try await relayCall { try await relay.publish(channel: channel, drafts: drafts, isBatch: isBatch) }
        RelayMetrics.shared.published(stored.count, nanoseconds: (ContinuousClock.now - started).nanoseconds)
        let data = isBatch ? try EventCoding.encoder.encode(stored) : try EventCoding.encoder.encode(stored[0])
        return Response(status: .created, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(data: data)))
    }

    private func channelName(_ context: AppContext) throws -> String {
        let channel = context.parameters.get("channel") ?? ""
        guard relay.channels.contains(channel) else { throw APIError.notFound("no channel \(channel)") }
        return channel
    }

    private func integer(_ text: String?, name: String) throws -> Int64? {
        guard let text else { return nil }
        guard let value = Int64(text), value >= 0 else {
            throw APIError(.badRequest, code: "invalid_value", message: "\(name) must be a non-negative integer", field: name)
        }
        return value
    }


    struct StateBody: Encodable {
        let channel: String
        let seq: Int64
        let state: ChannelState.Snapshot
    }

    /// `{"channel","events":[…],"latest","oldest"}`, the events' JSON as encoded once when they were stored.
    private func eventsResponse(channel: String, events: [EncodedEvent], oldest: Int64?, latest: Int64) throws -> Response {
        var body = ByteBuffer(string: #"{"channel":"#)
        body.writeBytes(try EventCoding.encoder.encode(channel))
        body.writeString(#","events":["#)
        for (index, event) in events.enumerated() {
            if index > 0 { body.writeString(",") }
            body.writeImmutableBuffer(event.json)
        }
        body.writeString(#"],"latest":\#(latest),"oldest":\#(oldest.map(String.init) ?? "null")}"#)
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"], body: .init(byteBuffer: body))
    }
}

/// A JSON answer (dates as ISO 8601 with milliseconds) that caches must not keep.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
             body: .init(byteBuffer: ByteBuffer(data: try EventCoding.encoder.encode(value))))
}

/// Relay errors as HTTP errors: 400 malformed, 422 impossible now, 404 unknown channel, 503 store down.
func relayCall<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let error as RelayError { throw APIError(error) }
}

func relayCall<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as RelayError { throw APIError(error) }
}

extension APIError {
    init(_ error: RelayError) {
        let status: HTTPResponse.Status = switch error.kind {
        case .invalid: .badRequest
        case .conflict: .unprocessableContent
        case .notFound: .notFound
        case .unavailable: .serviceUnavailable
        }
        self.init(status, code: error.code, message: error.message, field: error.field)
    }
}

