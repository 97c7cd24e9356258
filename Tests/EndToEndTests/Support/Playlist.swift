import Foundation

/// Small readings of a media playlist's text, for assertions.
struct PlaylistText {
    let text: String
    var lines: [Substring] { text.split(separator: "\n") }

    /// Complete segments' msn (URIs like `12.m4s`).
    var segments: [Int] { lines.compactMap { $0.hasSuffix(".m4s") && !$0.hasPrefix("#") ? Int($0.dropLast(4)) : nil } }

    /// Parts as (msn, index, duration).
    var parts: [(msn: Int, index: Int, duration: Double)] {
        lines.compactMap { line in
            guard line.hasPrefix("#EXT-X-PART:"), let uri = attribute(line, "URI"), let duration = attribute(line, "DURATION").flatMap(Double.init) else { return nil }
            let numbers = uri.dropLast(4).split(separator: ".").compactMap { Int($0) }
            return numbers.count == 2 ? (numbers[0], numbers[1], duration) : nil
        }
    }

    /// The preload hint's (msn, part).
    var preloadHint: (msn: Int, part: Int)? {
        guard let line = lines.first(where: { $0.hasPrefix("#EXT-X-PRELOAD-HINT:") }), let uri = attribute(line, "URI") else { return nil }
        let numbers = uri.dropLast(4).split(separator: ".").compactMap { Int($0) }
        return numbers.count == 2 ? (numbers[0], numbers[1]) : nil
    }

    func count(_ tag: String) -> Int { lines.filter { $0.hasPrefix(tag) }.count }

    /// A quoted or plain attribute of a tag line.
    func attribute(_ line: Substring, _ name: String) -> String? {
        guard let range = line.range(of: name + "=") else { return nil }
        var rest = line[range.upperBound...]
        if rest.hasPrefix("\"") {
            rest = rest.dropFirst()
            return String(rest.prefix { $0 != "\"" })
        }
        return String(rest.prefix { $0 != "," })
    }
}
