import Foundation
import Hummingbird
import Media
import NIOCore
import Storage

/// `PUT /api/v1/channels/{channel}/input` `{url, loop?, pacing?, options?}` starts or switches the live input;
/// `DELETE` stops it (the open segment is closed first); `GET` tells the current state. Operators only.
struct InputRoutes: Sendable {
    let channels: [String: LiveChannel]
    let authority: TokenAuthority
    let settings: ServerConfiguration.Ingest

    /// FFmpeg options an API caller may set: how to listen or connect, never which protocols or files.
    static let allowedOptions: Set<String> = [
        "listen", "listen_timeout", "timeout", "rw_timeout", "rtsp_transport", "rtsp_flags", "mode", "latency", "passphrase",
        "pbkeylen", "streamid", "fifo_size", "overrun_nonfatal", "buffer_size", "localport", "reconnect", "reconnect_streamed",
        "reconnect_delay_max", "user_agent", "live_start_index", "http_persistent", "max_reload", "tcp_nodelay",
    ]

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
            let buffer = try await request.boundedBody(upTo: 16 * 1024)
            guard let body = try? JSONDecoder().decode(InputBody.self, from: Data(buffer.readableBytesView)) else {
                throw APIError(.badRequest, code: "invalid_json", message: "the body must be {\"url\": …, \"loop\"?, \"pacing\"?, \"options\"?}")
            }
            let url = try await checked(body)
            await channel.start(IngestSource(url: url, options: body.options ?? [:], pacing: body.pacing ?? .auto, loop: body.loop ?? false))
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

    /// The input URL to open: a kind FFmpeg may open here (`InputProtocols`), a local file only inside
    /// `ingest.fileRoot` (after symbolic links are followed), options from `allowedOptions` only.
    private func checked(_ body: InputBody) async throws -> String {
        guard !body.url.isEmpty, body.url.utf8.count <= 2048 else {
            throw APIError(.badRequest, code: "invalid_value", message: "url must be 1–2048 bytes", field: "url")
        }
        guard InputProtocols.whitelist(for: body.url) != nil else {
            throw APIError(.badRequest, code: "invalid_url", message: "url must be one of: \(InputProtocols.schemes.joined(separator: ", "))", field: "url")
        }
        if let key = body.options?.keys.sorted().first(where: { !Self.allowedOptions.contains($0) }) {
            throw APIError(.badRequest, code: "invalid_value", message: "option \(key) may not be set through the API", field: "options.\(key)")
        }
        let scheme = InputProtocols.scheme(of: body.url)
        guard scheme == nil || scheme == "file" else { return body.url }
        let path = scheme == nil ? body.url : String(body.url.dropFirst(body.url.hasPrefix("file://") ? 7 : 5))
        guard !settings.fileRoot.isEmpty else {
            throw APIError(.forbidden, code: "file_not_allowed", message: "local files are not played through the API here (set ingest.fileRoot)", field: "url")
        }
        let root = settings.fileRoot
        let inside = await offThePool { () -> String? in
            let base = URL(fileURLWithPath: root).resolvingSymlinksInPath().standardizedFileURL.path
            let file = URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
            return file.hasPrefix(base.hasSuffix("/") ? base : base + "/") && FileManager.default.isReadableFile(atPath: file) ? file : nil
        }
        guard let inside else {
            throw APIError(.forbidden, code: "file_not_allowed", message: "url must be a readable file inside ingest.fileRoot", field: "url")
        }
        return inside
    }

    private func authorized(_ request: Request, _ context: AppContext) async throws -> LiveChannel {
        let slug = context.parameters.get("channel") ?? ""
        guard let channel = channels[slug] else { throw APIError.notFound("no channel \(slug)") }
        let principal = try await authority.principal(of: request)
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
