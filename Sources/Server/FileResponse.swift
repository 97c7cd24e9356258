import Foundation
import HTTPTypes
import Hummingbird

/// Streams a file from disk, with single byte ranges (`Range: bytes=a-b`, `a-`, `-n`) so players can seek
/// in a recording without downloading it. Text (playlists, JSON, WebVTT, pages) is always sent whole: a
/// slice of it is no document, and it is small.
enum FileResponse {
    static func serve(_ url: URL, request: Request, context: AppContext, contentType: String, cache: String) async throws -> Response {
        let size = ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.intValue ?? 0
        let ranges = contentType.hasPrefix("video/") || contentType.hasPrefix("audio/")
        var headers: HTTPFields = [.contentType: contentType, .cacheControl: cache, .acceptRanges: ranges ? "bytes" : "none"]
        let io = FileIO()
        // A header in another unit or with several ranges is ignored: the whole file is the answer (RFC 9110).
        guard ranges, let rangeHeader = request.headers[.range], rangeHeader.hasPrefix("bytes="), !rangeHeader.contains(","), size > 0 else {
            return Response(status: .ok, headers: headers, body: try await io.loadFile(path: url.path, context: context))
        }
        guard let range = byteRange(rangeHeader, size: size) else {
            headers[.contentRange] = "bytes */\(size)"
            return Response(status: .rangeNotSatisfiable, headers: headers)
        }
        headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
        return Response(status: .partialContent, headers: headers, body: try await io.loadFile(path: url.path, range: range, context: context))
    }

    /// The range of a single-range `bytes=` header within a file of `size` bytes (an end past the file is
    /// the file's end); nil when it cannot be satisfied.
    static func byteRange(_ header: String, size: Int) -> ClosedRange<Int>? {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let bounds = header.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard bounds.count == 2 else { return nil }
        let first = bounds[0].trimmingCharacters(in: .whitespaces), last = bounds[1].trimmingCharacters(in: .whitespaces)
        if first.isEmpty {
            guard let count = Int(last), count > 0 else { return nil }
            return max(0, size - count)...(size - 1)
        }
        guard let start = Int(first), start < size else { return nil }
        guard last.isEmpty || Int(last) != nil || last.allSatisfy(\.isNumber) else { return nil }
        let end = last.isEmpty ? size - 1 : min(Int(last) ?? Int.max, size - 1)
        return end >= start ? start...end : nil
    }
}
