import Foundation
import WallClock

/// Renders an LL-HLS media playlist (RFC 8216bis) from a rendition's timeline.
public struct MediaPlaylist: Sendable {
    /// Where another rendition stands, for `EXT-X-RENDITION-REPORT`.
    public struct RenditionReport: Sendable {
        public var uri: String
        public var lastMsn: Int
        public var lastPart: Int
    }

    public var partTarget: Double
    public var segmentTarget: Double
    /// Closed segments listed.
    public var window: Int
    /// Closed segments whose parts are listed, besides the open segment.
    public var partWindow: Int

    public init(partTarget: Double, segmentTarget: Double, window: Int, partWindow: Int = 2) {
        self.partTarget = partTarget
        self.segmentTarget = segmentTarget
        self.window = window
        self.partWindow = partWindow
    }

    /// `EXT-X-TARGETDURATION`: every segment's rounded duration fits under it.
    public func targetDuration(_ segments: [MediaSegment]) -> Int {
        let longest = segments.map(\.duration).max() ?? 0
        return max(Int(segmentTarget.rounded(.up)), Int(longest.rounded()))
    }

    /// `CAN-SKIP-UNTIL`: the protocol's minimum, six target durations.
    public func skipBoundary(targetDuration: Int) -> Double { Double(targetDuration) * 6 }

    /// The playlist; `delta` (a client's `_HLS_skip=YES`) replaces the closed segments older than the
    /// skip boundary with one `EXT-X-SKIP` tag, when there are any.
    public func render(_ timeline: RenditionTimeline, reports: [RenditionReport], extraTags: [String] = [], delta: Bool = false) -> String {
        let listed = Array(timeline.segments.suffix(window))
        let dropped = timeline.segments.dropLast(listed.count)
        let firstMsn = listed.first?.msn ?? timeline.open?.msn ?? timeline.nextMsn
        let discontinuitySequence = timeline.droppedDiscontinuities + dropped.filter(\.discontinuity).count
        let current = listed + [timeline.open].compactMap { $0 }
        let target = targetDuration(current)
        let canSkipUntil = skipBoundary(targetDuration: target)
        let skipped = delta ? Self.skippable(current, boundary: canSkipUntil) : 0

        var lines = [
            "#EXTM3U",
            // EXT-X-SKIP needs version 9; a full playlist stays readable by older clients.
            "#EXT-X-VERSION:\(skipped > 0 ? 9 : 6)",
            "#EXT-X-TARGETDURATION:\(target)",
            "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=\(format(canSkipUntil)),PART-HOLD-BACK=\(format(partTarget * 3)),HOLD-BACK=\(format(Double(target) * 3))",
            "#EXT-X-PART-INF:PART-TARGET=\(format(partTarget))",
            "#EXT-X-MEDIA-SEQUENCE:\(firstMsn)",
            "#EXT-X-DISCONTINUITY-SEQUENCE:\(discontinuitySequence)",
        ]
        if skipped > 0 { lines.append("#EXT-X-SKIP:SKIPPED-SEGMENTS=\(skipped)") }
        lines.append(contentsOf: extraTags)
        // Starts unset, so the first segment listed (after a skip too) names its EXT-X-MAP.
        var generation: Int?
        let withParts = Set(listed.suffix(partWindow).map(\.msn))
        for segment in current.dropFirst(skipped) {
            if segment.discontinuity && segment.msn != firstMsn { lines.append("#EXT-X-DISCONTINUITY") }
            if segment.initGeneration != generation {
                generation = segment.initGeneration
                lines.append("#EXT-X-MAP:URI=\"init-\(segment.initGeneration).mp4\"")
            }
            lines.append("#EXT-X-PROGRAM-DATE-TIME:\(ISO8601.format(segment.programDateTime))")
            if !segment.isComplete || withParts.contains(segment.msn) {
                for part in segment.parts {
                    let independent = part.independent ? ",INDEPENDENT=YES" : ""
                    lines.append("#EXT-X-PART:DURATION=\(format(part.duration)),URI=\"\(segment.msn).\(part.index).m4s\"\(independent)")
                }
            }
            if segment.isComplete {
                lines.append("#EXTINF:\(format(segment.duration)),")
                lines.append("\(segment.msn).m4s")
            }
        }
        let hint = timeline.nextPart
        lines.append("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"\(hint.msn).\(hint.part).m4s\"")
        for report in reports {
            lines.append("#EXT-X-RENDITION-REPORT:URI=\"\(report.uri)\",LAST-MSN=\(report.lastMsn),LAST-PART=\(report.lastPart)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// How many leading closed segments start more than `boundary` seconds before the playlist's end.
    static func skippable(_ segments: [MediaSegment], boundary: Double) -> Int {
        var fromEnd = 0.0, keep = 0
        for segment in segments.reversed() {
            fromEnd += segment.duration
            keep += 1
            if fromEnd > boundary { break }
        }
        let candidates = segments.count - keep
        // Only closed segments can be skipped; the open one is always last.
        return max(0, min(candidates, segments.filter(\.isComplete).count))
    }

    private func format(_ seconds: Double) -> String { String(format: "%.3f", seconds) }
}
