import HLS
import HTTPTypes
import Hummingbird
import LiveOrigin
import Media

/// `GET /live/{channel}/index.m3u8` and `GET /live/{channel}/{rendition}/{file}`.
struct LiveRoutes: Sendable {
    let channels: [String: LiveChannel]
    let segmentTarget: Double
    let rewind: RewindRoutes

    func register(on router: Router<AppContext>) {
        rewind.register(on: router)
        router.get("/live/:channel/index.m3u8") { _, context in
            let store = try store(context)
            let text = try await hls { try await store.multivariantPlaylist() }
            return Self.response(text, contentType: ContentType.playlist, cache: "public, max-age=2")
        }
        router.get("/live/:channel/:rendition/:file") { request, context in
            let store = try store(context)
            let rendition = context.parameters.get("rendition") ?? ""
            guard let file = MediaFileName(context.parameters.get("file") ?? "") else { throw APIError.notFound("no such file") }
            if rendition == SubtitleTrack.rendition { return try await subtitles(store, file) }
            guard store.renditions.contains(rendition) else { throw APIError.notFound("no rendition \(rendition)") }
            let mediaType = rendition.hasPrefix(Rendition.audio) ? ContentType.audioMP4 : ContentType.videoMP4
            switch file {
            case .dvrPlaylist:
                let text = try await rewind.dvrPlaylist(try Self.channel(channels, context), rendition: rendition)
                return Self.response(text, contentType: ContentType.playlist, cache: "public, max-age=1")
            case .playlist:
                let query = request.uri.queryParameters
                let blocking = try await hls { try BlockingRequest.parse(msn: query.get("_HLS_msn"), part: query.get("_HLS_part")) }
                // `YES` and `v2` both get the segments skipped; date ranges are always listed (we do not
                // offer CAN-SKIP-DATERANGES), which `v2` allows.
                let delta = ["YES", "v2"].contains(query.get("_HLS_skip") ?? "")
                let answer = try await hls { try await store.mediaPlaylistAnswer(rendition: rendition, blocking: blocking, delta: delta) }
                // A blocking response names a fixed point of the playlist, so caches may keep it longer.
                let cache = blocking == nil ? "public, max-age=1" : "public, max-age=\(Int(segmentTarget * 6))"
                var response = Self.response(answer.text, contentType: ContentType.playlist, cache: cache)
                // How long after the newest part's cut this answer left: a blocking reload's own delay,
                // which a client cannot see apart from the path in front of the server.
                if let age = answer.partAge {
                    response.headers[HTTPField.Name("X-Part-Age-Ms")!] = String(format: "%.1f", age)
                }
                return response
            case .currentInitialization:
                guard let bytes = await store.initialization(rendition: rendition, generation: nil) else { throw APIError.notFound("no media yet") }
                return Self.response(bytes, contentType: mediaType, cache: "public, max-age=2")
            case .initialization(let generation):
                guard let bytes = await store.initialization(rendition: rendition, generation: generation) else { throw APIError.notFound("no init-\(generation).mp4") }
                return Self.response(bytes, contentType: mediaType, cache: ContentType.immutable)
            case .segment(let msn):
                guard let bytes = await store.segment(rendition: rendition, msn: msn) else { throw APIError.notFound("no segment \(msn)") }
                return Self.response(bytes, contentType: ContentType.segment, cache: ContentType.immutable)
            case .part(let msn, let index):
                let bytes = try await hls { try await store.part(rendition: rendition, msn: msn, index: index) }
                return Self.response(bytes, contentType: ContentType.segment, cache: ContentType.immutable)
            case .captions:
                throw APIError.notFound("no such file")
            }
        }
    }

    /// The WebVTT rendition: its playlist and `{msn}.vtt`. Cues can still change (an interim line becomes
    /// final), so captions are cached briefly, not for ever.
    private func subtitles(_ store: SegmentStore, _ file: MediaFileName) async throws -> Response {
        switch file {
        case .playlist:
            let text = try await hls { try await store.subtitlePlaylist() }
            return Self.response(text, contentType: ContentType.playlist, cache: "public, max-age=1")
        case .captions(let msn):
            guard let text = await store.subtitleSegment(msn: msn) else { throw APIError.notFound("no captions for segment \(msn)") }
            return Self.response(text, contentType: "text/vtt; charset=utf-8", cache: "public, max-age=10")
        default:
            throw APIError.notFound("no such file")
        }
    }

    private func store(_ context: AppContext) throws -> SegmentStore {
        try Self.channel(channels, context).store
    }

    /// The channel named by the `:channel` path parameter, or 404.
    static func channel(_ channels: [String: LiveChannel], _ context: AppContext) throws -> LiveChannel {
        let slug = context.parameters.get("channel") ?? ""
        guard let channel = channels[slug] else { throw APIError.notFound("no channel \(slug)") }
        return channel
    }

    /// Runs `body`, turning an `HLSError` into its HTTP answer.
    static func hls<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as HLSError { throw APIError(error) }
    }

    private func hls<T>(_ body: () async throws -> T) async throws -> T { try await Self.hls(body) }

    static func response(_ text: String, contentType: String, cache: String) -> Response {
        response(ByteBuffer(string: text), contentType: contentType, cache: cache)
    }

    static func response(_ bytes: ByteBuffer, contentType: String, cache: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType, .cacheControl: cache], body: .init(byteBuffer: bytes))
    }
}

/// Media types and cache policies of what the server sends.
enum ContentType {
    static let playlist = "application/vnd.apple.mpegurl"
    static let videoMP4 = "video/mp4"
    static let audioMP4 = "audio/mp4"
    static let segment = "video/iso.segment"
    static let immutable = "public, max-age=31536000, immutable"
}
