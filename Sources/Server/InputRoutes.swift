import Alerts
import Foundation
import Hummingbird
import LiveOrigin
import Media
import NIOCore
import Storage

/// `PUT /api/v1/channels/{channel}/input` `{url, loop?, pacing?, options?}` starts or switches the live input;
/// `DELETE` stops it (the open segment is closed first); `GET` tells the current state. Operators only.
struct InputRoutes: Sendable {
    let channels: [String: LiveChannel]
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
        let transcode: TranscodePolicy?
    }

    struct InputState: Encodable {
        let channel: String
        let input: String?
        let state: String
        /// The input's `transcode` policy.
        let transcode: TranscodePolicy?
        /// What the current session does with each track, and what comes out; nil before the input opens.
        let media: MediaState?
    }

    struct MediaState: Encodable {
        struct Output: Encodable {
            let name: String
            let codecs: String
            let width: Int?
            let height: Int?
            let frameRate: Double?
            let language: String?
            let transcoded: Bool
        }
        let tracks: [TrackDecision]
        let renditions: [Output]
    }

    func register(on router: Router<AppContext>) {
        router.put("/api/v1/channels/:channel/input") { request, context in
            let channel = try await authorized(request, context)
            let buffer = try await request.boundedBody(upTo: 16 * 1024)
            guard let body = try? JSONDecoder().decode(InputBody.self, from: Data(buffer.readableBytesView)) else {
                throw APIError(.badRequest, code: "invalid_json", message: "the body must be {\"url\": …, \"loop\"?, \"pacing\"?, \"options\"?, \"transcode\"?: \"auto\"|\"always\"|\"never\"}")
            }
            await channel.start(try await checked(body))
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

    /// The demuxers a local file given through the API may be read with: containers of media, never a
    /// playlist or a list that names other files (hls, dash, concat).
    static let fileFormats = "mov,mp4,m4a,3gp,3g2,mj2,mpegts,matroska,webm,flv,wav,mp3,aac,avi,mpeg"

    /// The input to open, or why not: a kind FFmpeg may open here (`InputProtocols`); a local file only
    /// inside `ingest.fileRoot` (after symbolic links are followed) and read only as a media container; a
    /// source pulled from a host only when `ingest.policy` allows the addresses it resolves to; FFmpeg
    /// options from `allowedOptions` only, without control characters.
    private func checked(_ body: InputBody) async throws -> IngestSource {
        guard !body.url.isEmpty, body.url.utf8.count <= 2048 else {
            throw APIError(.badRequest, code: "invalid_value", message: "url must be 1–2048 bytes", field: "url")
        }
        guard InputProtocols.whitelist(for: body.url) != nil else {
            throw APIError(.badRequest, code: "invalid_url", message: "url must be one of: \(InputProtocols.schemes.joined(separator: ", "))", field: "url")
        }
        var options = body.options ?? [:]
        if let key = options.keys.sorted().first(where: { !Self.allowedOptions.contains($0) }) {
            throw APIError(.badRequest, code: "invalid_value", message: "option \(key) may not be set through the API", field: "options.\(key)")
        }
        if let key = options.keys.sorted().first(where: { options[$0]!.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } }) {
            throw APIError(.badRequest, code: "invalid_value", message: "option \(key) must not contain control characters", field: "options.\(key)")
        }
        var url = body.url
        switch InputProtocols.scheme(of: body.url) {
        case nil, "file"?:
            url = try await localFile(body.url)
            options["format_whitelist"] = Self.fileFormats
        case let scheme? where Self.pulls(scheme: scheme, url: body.url, options: options):
            try await checkHost(of: body.url)
        default:
            break  // a listener (udp, rtp; rtmp/rtsp with listen, srt as listener): nothing is fetched from anyone
        }
        return IngestSource(url: url, options: options, pacing: body.pacing ?? .auto, loop: body.loop ?? false, transcode: body.transcode ?? .auto)
    }

    /// Whether an input of `scheme` connects out to its URL's host (rather than listening for a sender).
    private static func pulls(scheme: String, url: String, options: [String: String]) -> Bool {
        switch scheme {
        case "http", "https": true
        case "rtmp", "rtmps": options["listen"] != "1"
        case "rtsp", "rtsps": options["rtsp_flags"] != "listen" && options["listen"] != "1"
        case "srt": options["mode"] != "listener" && !url.contains("mode=listener")
        default: false
        }
    }

    /// The file `url` names, resolved, when it lies inside `ingest.fileRoot`.
    private func localFile(_ url: String) async throws -> String {
        let path = url.hasPrefix("file:") ? String(url.dropFirst(url.hasPrefix("file://") ? 7 : 5)) : url
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

    /// Refuses a pulled input whose host resolves to an address `ingest.policy` does not allow.
    private func checkHost(of url: String) async throws {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw APIError(.badRequest, code: "invalid_url", message: "url names no host", field: "url")
        }
        do {
            _ = try await settings.policy.resolve(host: host, port: components.port ?? 0, settings: "ingest.allowHosts or ingest.allowPrivate")
        } catch let refusal as OutboundRefusal {
            throw APIError(refusal, field: "url")
        }
    }

    private func authorized(_ request: Request, _ context: AppContext) async throws -> LiveChannel {
        let slug = context.parameters.get("channel") ?? ""
        guard let channel = channels[slug] else { throw APIError.notFound("no channel \(slug)") }
        _ = try context.requirePublisher(to: slug, "control")
        return channel
    }

    private func state(_ channel: LiveChannel, status: HTTPResponse.Status) async throws -> Response {
        let source = await channel.source
        let media = await channel.plan.map { plan in
            MediaState(tracks: plan.plan.tracks, renditions: plan.renditions.map { layout in
                let video = layout.tracks.first { $0.kind == .video }
                return .init(name: layout.name, codecs: layout.tracks.map(\.codecString).filter { !$0.isEmpty }.joined(separator: ","),
                             width: video?.width, height: video?.height, frameRate: video?.frameRate,
                             language: layout.tracks.first { $0.kind == .audio }?.language, transcoded: layout.transcoded)
            })
        }
        let body = InputState(channel: channel.slug, input: source.map { redactedURL($0.url) }, state: await channel.state.name,
                              transcode: source?.transcode, media: media)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(data: try JSONEncoder().encode(body))))
    }
}
