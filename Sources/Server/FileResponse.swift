import Foundation
import HTTPTypes
import Hummingbird

/// Streams a file from disk, with single byte ranges (`Range: bytes=a-b`, `a-`, `-n`) so players can seek
/// in a recording without downloading it.
enum FileResponse {
    static func serve(_ url: URL, request: Request, context: AppContext, contentType: String, cache: String) async throws -> Response {
        let size = ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.intValue ?? 0
        var headers: HTTPFields = [.contentType: contentType, .cacheControl: cache, .acceptRanges: "bytes"]
        let io = FileIO()
        guard let rangeHeader = request.headers[.range], size > 0 else {
            headers[.contentLength] = "\(size)"
            return Response(status: .ok, headers: headers, body: try await io.loadFile(path: url.path, context: context))
        }
        guard let range = byteRange(rangeHeader, size: size) else {
            headers[.contentRange] = "bytes */\(size)"
            return Response(status: .rangeNotSatisfiable, headers: headers)
        }
        headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
        headers[.contentLength] = "\(range.count)"
        return Response(status: .partialContent, headers: headers, body: try await io.loadFile(path: url.path, range: range, context: context))
    }

    /// The one range of a `Range` header within a file of `size` bytes; nil when it cannot be satisfied.
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
        let end = last.isEmpty ? size - 1 : min(Int(last) ?? -1, size - 1)
        return end >= start ? start...end : nil
    }
}
