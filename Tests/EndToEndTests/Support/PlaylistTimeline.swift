import Foundation

/// The segments of a media playlist (`{msn}.m4s`, `source/{msn}.m4s`, `{msn}.vtt`) with their program-date-times,
/// and where a wall-clock moment falls in them, read from the playlist's tags.
struct PlaylistTimeline {
    var entries: [(msn: Int, start: Date, duration: Double)] = []

    init(_ text: String) {
        var start: Date?
        var duration = 0.0
        for line in text.split(separator: "\n") {
            if line.hasPrefix("#EXT-X-PROGRAM-DATE-TIME:") {
                start = try? Date(String(line.dropFirst(25)), strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
            } else if line.hasPrefix("#EXTINF:") {
                duration = Double(line.dropFirst(8).prefix { $0 != "," }) ?? 0
            } else if line.hasSuffix(".m4s") || line.hasSuffix(".vtt"), !line.hasPrefix("#"), let start,
                      let msn = Int(line.split(separator: "/").last!.dropLast(4)) {
                entries.append((msn, start, duration))
            }
        }
    }

    var msns: [Int] { entries.map(\.msn) }

    /// The msn of the segment whose span holds `date`.
    func segment(covering date: Date) -> Int? {
        entries.first { $0.start <= date && date < $0.start.addingTimeInterval($0.duration) }?.msn
    }
    var duration: Double { entries.reduce(0) { $0 + $1.duration } }

    func offset(of date: Date) -> Double {
        var elapsed = 0.0
        for entry in entries {
            let into = date.timeIntervalSince(entry.start)
            if into < 0 { return elapsed }
            if into < entry.duration { return elapsed + into }
            elapsed += entry.duration
        }
        return elapsed
    }
}
