import Archive
import Foundation
import HLS
import Hummingbird
import Relay
import WallClock
import Recorder

/// The archive API (`/api/v1/sittings…`, `/api/v1/search`) and the archive files (`/archive/{sitting}/…`).
struct ArchiveRoutes: Sendable {
    let archiver: SittingArchiver
    let renditions: [String]
    let clips: ClipMaker
    let maxClipSeconds: Double

    func register(on router: Router<AppContext>) {
        router.get("/api/v1/sittings") { request, _ in
            let query = request.uri.queryParameters
            let sittings = try await archiver.catalog.sittings(
                channel: query.get("channel"), from: try date(query.get("from"), name: "from"), to: try date(query.get("to"), name: "to"),
                limit: try request.limit(default: 100, maximum: 500)
            )
            return try jsonResponse(["sittings": sittings.map(withLinks)])
        }
        router.get("/api/v1/sittings/:sitting") { _, context in
            let id = context.parameters.get("sitting") ?? ""
            guard let detail = try await archiver.catalog.detail(sitting: id) else { throw APIError.notFound("no sitting \(id)") }
            return try jsonResponse(SittingDetailBody(detail))
        }
        router.get("/api/v1/search") { request, _ in
            let query = request.uri.queryParameters
            let text = (query.get("q") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw APIError(.badRequest, code: "missing_query", message: "q is required", field: "q") }
            // Counted in code points, as JSON Schema's maxLength is: a few graphemes may carry hundreds of them.
            guard text.unicodeScalars.count <= 200 else { throw APIError(.badRequest, code: "query_too_long", message: "q is longer than 200 characters", field: "q") }
            let hits = try await archiver.catalog.search(text, channel: query.get("channel"), limit: try request.limit(default: 50, maximum: 500))
            return try jsonResponse(SearchBody(query: text, hits: hits.map(withLink)))
        }
        // Both archive routes name their second component `entry` (the router needs one name per position):
        // a file of the sitting, or a rendition folder.
        router.get("/archive/:sitting/:entry") { request, context in
            let sitting = context.parameters.get("sitting") ?? ""
            let name = context.parameters.get("entry") ?? ""
            guard let type = Self.sittingFiles[name] else { throw APIError.notFound("no such file") }
            let url: URL
            if name == "recording.mp4" {
                url = try await recorderCall { try await archiver.recording(sitting) }
            } else if name == "clip.mp4" {
                let query = request.uri.queryParameters
                guard let from = query.get("from").flatMap(Double.init), let to = query.get("to").flatMap(Double.init), from >= 0, from.isFinite, to.isFinite else {
                    throw APIError(.badRequest, code: "invalid_value", message: "from and to must be seconds into the recording", field: "from")
                }
                try RewindRoutes.check(span: to - from, maximum: maxClipSeconds)
                url = try await recorderCall { try await archiver.clip(sitting, from: from, to: to, maker: clips) }
                var response = try await FileResponse.serve(url, request: request, context: context, contentType: type, cache: "public, max-age=3600")
                response.headers[.contentDisposition] = "attachment; filename=\"\(sitting)-\(Int(from))-\(Int(to))s.mp4\""
                return response
            } else {
                guard let found = archiver.folder.existingFile(sitting: sitting, [name]) else { throw APIError.notFound("sitting \(sitting) has no \(name)") }
                url = found
            }
            return try await FileResponse.serve(url, request: request, context: context, contentType: type, cache: "public, max-age=60")
        }
        router.get("/archive/:sitting/:entry/:file") { request, context in
            let sitting = context.parameters.get("sitting") ?? ""
            let rendition = context.parameters.get("entry") ?? ""
            let name = context.parameters.get("file") ?? ""
            guard renditions.contains(rendition), let file = MediaFileName(name) else { throw APIError.notFound("no such file") }
            let (type, cache): (String, String) = switch file {
            case .playlist: (ContentType.playlist, "public, max-age=60")
            case .initialization: (rendition.hasPrefix("audio") ? ContentType.audioMP4 : ContentType.videoMP4, ContentType.immutable)
            case .segment: (ContentType.segment, ContentType.immutable)
            default: throw APIError.notFound("no such file")
            }
            guard let url = archiver.folder.existingFile(sitting: sitting, [rendition, name]) else { throw APIError.notFound("sitting \(sitting) has no \(rendition)/\(name)") }
            return try await FileResponse.serve(url, request: request, context: context, contentType: type, cache: cache)
        }
    }

    static let sittingFiles = [
        "index.m3u8": ContentType.playlist, "recording.mp4": ContentType.videoMP4, "clip.mp4": ContentType.videoMP4,
        "transcript.vtt": "text/vtt; charset=utf-8", "chapters.json": "application/json; charset=utf-8",
    ]

    private func date(_ text: String?, name: String) throws -> Date? {
        guard let text else { return nil }
        guard let date = ISO8601.parse(text) else {
            throw APIError(.badRequest, code: "invalid_value", message: "\(name) must be an ISO 8601 date-time", field: name)
        }
        return date
    }
}

/// A sitting with the URLs of its archive.
func withLinks(_ summary: SittingSummary) -> Extended<SittingSummary, [String: String]> {
    let base = "/archive/\(summary.id)"
    var links = ["api": "/api/v1/sittings/\(summary.id)"]
    if summary.archivedAt != nil {
        links["playlist"] = base + "/index.m3u8"
        links["transcript"] = base + "/transcript.vtt"
        links["chapters"] = base + "/chapters.json"
        if summary.status == .ended { links["recording"] = base + "/recording.mp4" }
    }
    if summary.status != .ended { links["live"] = "/live/\(summary.channel)/index.m3u8" }
    return Extended(base: summary, key: "links", extra: links)
}

/// A search hit and a link that opens the sitting's page with the recording at that moment (the live page
/// while the sitting has not been archived).
func withLink(_ hit: SearchHit) -> Extended<SearchHit, String> {
    let link = hit.offset.map { "/archive/\(hit.sitting)?t=\(Int($0.rounded(.down)))" } ?? "/watch/\(hit.channel)"
    return Extended(base: hit, key: "link", extra: link)
}

struct SittingDetailBody: Encodable {
    let sitting: Extended<SittingSummary, [String: String]>
    let agenda: [AgendaEntry]
    let votes: [VoteEntry]
    let transcript: [TranscriptEntry]

    init(_ detail: SittingDetail) {
        sitting = withLinks(detail.sitting)
        agenda = detail.agenda
        votes = detail.votes
        transcript = detail.transcript
    }
}

struct SearchBody: Encodable {
    let query: String
    let hits: [Extended<SearchHit, String>]
}

/// `base`'s JSON object with one more key.
struct Extended<Base: Encodable, Extra: Encodable>: Encodable {
    let base: Base
    let key: String
    let extra: Extra

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        try base.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(extra, forKey: Key(stringValue: key))
    }
}

/// Runs a recorder call, answering its errors as HTTP: 404, 409 (not archived yet), 500.
func recorderCall<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let error as RecorderError {
        let status: HTTPResponse.Status = switch error.kind {
        case .notFound: .notFound
        case .conflict: .conflict
        case .failed: .internalServerError
        }
        throw APIError(status, code: error.code, message: error.message)
    }
}
