import Archive
import Foundation
import HLS
import Hummingbird
import LiveOrigin
import Media
import WallClock
import Recorder

/// Rewinding while live: `GET /live/{channel}/dvr.m3u8` (and `{rendition}/dvr.m3u8`), an `EVENT` playlist
/// of every segment since the open sitting began (or the last `hls.dvrWindow` hours), served from the
/// segments already on disk; and `GET /live/{channel}/clip.mp4?from=&to=` (wall-clock ISO 8601 times).
struct RewindRoutes: Sendable {
    let channels: [String: LiveChannel]
    let catalog: Catalog
    let settings: ServerConfiguration.HLS
    let clips: ClipMaker

    func register(on router: Router<AppContext>) {
        router.get("/live/:channel/dvr.m3u8") { _, context in
            let channel = try channel(context)
            let text = try await hls { try await channel.store.multivariantPlaylist(playlist: "dvr.m3u8") }
            return LiveRoutes.response(text, contentType: ContentType.playlist, cache: "public, max-age=2")
        }
        router.get("/live/:channel/clip.mp4") { request, context in
            let channel = try channel(context)
            let query = request.uri.queryParameters
            guard let from = query.get("from").flatMap(ISO8601.parse), let to = query.get("to").flatMap(ISO8601.parse) else {
                throw APIError(.badRequest, code: "invalid_value", message: "from and to must be ISO 8601 times (2026-12-01T09:30:00.000Z)", field: "from")
            }
            try Self.check(span: to.timeIntervalSince(from), maximum: settings.maxClipSeconds)
            let file = try await liveClip(channel, from: from, to: to)
            var response = try await FileResponse.serve(file, request: request, context: context, contentType: ContentType.videoMP4, cache: "public, max-age=3600")
            response.headers[.contentDisposition] = "attachment; filename=\"\(channel.slug)-\(Self.stamp(from))-\(Int(to.timeIntervalSince(from).rounded()))s.mp4\""
            return response
        }
    }

    /// A clip must have a positive length within `hls.maxClipSeconds`.
    static func check(span: Double, maximum: Double) throws {
        guard span > 0 else { throw APIError(.badRequest, code: "invalid_value", message: "to must be after from", field: "to") }
        guard span <= maximum else {
            throw APIError(.badRequest, code: "clip_too_long", message: "a clip may last at most \(Int(maximum)) s (hls.maxClipSeconds)", field: "to")
        }
    }

    /// The DVR media playlist of `rendition`.
    func dvrPlaylist(_ channel: LiveChannel, rendition: String) async throws -> String {
        guard await channel.store.isServing(rendition), let disk = channel.store.segmentDisk else {
            throw APIError.notFound("channel \(channel.slug) has no rendition \(rendition) now")
        }
        let (start, inSitting) = await rewindStart(channel.slug)
        let entries = await disk.index(rendition: rendition, since: start)
        guard !entries.isEmpty else { throw APIError(.serviceUnavailable, code: "not_ready", message: "no segment on disk yet") }
        return VODPlaylist.render(entries, kind: inSitting ? .event : .sliding)
    }

    /// The open sitting's start (an `EVENT` playlist: it only grows), or `hls.dvrWindow` hours ago when none
    /// is open or it began earlier (a window sliding forward).
    private func rewindStart(_ slug: String) async -> (Date, inSitting: Bool) {
        let window = Date().addingTimeInterval(-settings.dvrWindow * 3600)
        let open = ((try? await catalog.openSittings()) ?? []).filter { $0.channel == slug }.map(\.startedAt).max()
        guard let open, open > window else { return (window, false) }
        return (open, true)
    }

    private func liveClip(_ channel: LiveChannel, from: Date, to: Date) async throws -> URL {
        guard let disk = channel.store.segmentDisk else { throw APIError.notFound("channel \(channel.slug) keeps no media") }
        let entries = await disk.index(rendition: Rendition.source, since: from).filter { $0.programDateTime < to }
        guard let first = entries.first else { throw APIError(.notFound, code: "no_media", message: "no recorded media between \(ISO8601.format(from)) and \(ISO8601.format(to))") }
        let start = max(0, from.timeIntervalSince(first.programDateTime))
        let alternates = (1..<settings.maxAudioTracks).map { disk.directory(Rendition.audio($0)) }
        return try await clips.clip(.init(
            key: "\(channel.slug)-\(Int(from.timeIntervalSince1970 * 1000))-\(Int(to.timeIntervalSince1970 * 1000))",
            segments: entries.map(SittingArchiver.recorded), video: disk.directory(Rendition.source), alternateAudio: alternates,
            span: start...(start + to.timeIntervalSince(from)), title: await title(channel.slug, at: from)
        ))
    }

    /// The agenda item under consideration at `date` in the channel's open sitting, else the channel and time.
    private func title(_ slug: String, at date: Date) async -> String {
        for sitting in ((try? await catalog.openSittings()) ?? []) where sitting.channel == slug {
            let items = ((try? await catalog.detail(sitting: sitting.id))?.agenda ?? []).filter { ($0.startedAt ?? .distantFuture) <= date }
            if let item = items.max(by: { $0.startedAt! < $1.startedAt! }) { return "\(item.number). \(item.title)" }
            return sitting.title
        }
        return "\(slug) \(ISO8601.format(date))"
    }

    /// `20261201T093000Z` for file names.
    static func stamp(_ date: Date) -> String {
        String(ISO8601.format(date).filter { $0 != "-" && $0 != ":" }.prefix(15)) + "Z"
    }

    private func channel(_ context: AppContext) throws -> LiveChannel { try LiveRoutes.channel(channels, context) }

    private func hls<T>(_ body: () async throws -> T) async throws -> T { try await LiveRoutes.hls(body) }
}
