import Foundation
import Hummingbird
import Media
import NIOCore

/// `PUT /api/v1/channels/{channel}/input` `{url, loop?, pacing?, options?}` starts or switches the live input;
/// `DELETE` stops it (the open segment is closed first); `GET` tells the current state. Operators only.
struct InputRoutes: Sendable {
    let channels: [String: LiveChannel]
    let authority: TokenAuthority

    struct InputBody: Decodable {
        let url: String
        let loop: Bool?
        let pacing: IngestSource.Pacing?
        let options: [String: String]?
    }

    struct InputState: Encodable {
        let channel: String
        let input: String?
        let state: String
    }

    func register(on router: Router<AppContext>) {
        router.put("/api/v1/channels/:channel/input") { request, context in
            let channel = try await authorized(request, context)
            let buffer: ByteBuffer
            do { buffer = try await request.body.collect(upTo: 16 * 1024) } catch { throw APIError.tooLarge(16 * 1024) }
            guard let body = try? JSONDecoder().decode(InputBody.self, from: Data(buffer.readableBytesView)) else {
                throw APIError(.badRequest, code: "invalid_json", message: "the body must be {\"url\": …, \"loop\"?, \"pacing\"?, \"options\"?}")
            }
            guard !body.url.isEmpty, body.url.utf8.count <= 2048 else {
                throw APIError(.badRequest, code: "invalid_value", message: "url must be 1–2048 bytes", field: "url")
            }
            await channel.start(IngestSource(url: body.url, options: body.options ?? [:], pacing: body.pacing ?? .auto, loop: body.loop ?? false))
            return try await state(channel, status: .accepted)
        }
        router.delete("/api/v1/channels/:channel/input") { request, context in
            let channel = try await authorized(request, context)
            await channel.stop()
            return try await state(channel, status: .ok)
        }
        router.get("/api/v1/channels/:channel/input") { _, context in
            let slug = context.parameters.get("channel") ?? ""
            guard let channel = channels[slug] else { throw APIError.notFound("no channel \(slug)") }
            return try await state(channel, status: .ok)
        }
    }

    private func authorized(_ request: Request, _ context: AppContext) async throws -> LiveChannel {
        let slug = context.parameters.get("channel") ?? ""
        guard let channel = channels[slug] else { throw APIError.notFound("no channel \(slug)") }
        guard let principal = await authority.principal(authorization: request.headers[.authorization]) else {
            throw APIError(.unauthorized, code: "unauthorized", message: "a valid bearer token is required")
        }
        guard principal.mayPublish(to: slug) else {
            throw APIError(.forbidden, code: "forbidden", message: "this token may not control \(slug)")
        }
        return channel
    }

    private func state(_ channel: LiveChannel, status: HTTPResponse.Status) async throws -> Response {
        let body = InputState(channel: channel.slug, input: await channel.source.map { redactedURL($0.url) }, state: await channel.state.name)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(data: try JSONEncoder().encode(body))))
    }
}
