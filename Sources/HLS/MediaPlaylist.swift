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

    public func render(_ timeline: RenditionTimeline, reports: [RenditionReport], extraTags: [String] = []) -> String {
        let listed = Array(timeline.segments.suffix(window))
        let skipped = timeline.segments.dropLast(listed.count)
        let firstMsn = listed.first?.msn ?? timeline.open?.msn ?? timeline.nextMsn
        let discontinuitySequence = timeline.droppedDiscontinuities + skipped.filter(\.discontinuity).count
        let target = targetDuration(listed + [timeline.open].compactMap { $0 })

        var lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:6",
            "#EXT-X-TARGETDURATION:\(target)",
            "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=\(format(partTarget * 3)),HOLD-BACK=\(format(Double(target) * 3))",
            "#EXT-X-PART-INF:PART-TARGET=\(format(partTarget))",
            "#EXT-X-MEDIA-SEQUENCE:\(firstMsn)",
            "#EXT-X-DISCONTINUITY-SEQUENCE:\(discontinuitySequence)",
        ]
        lines.append(contentsOf: extraTags)
        var generation: Int?
        let withParts = Set(listed.suffix(partWindow).map(\.msn))
        for segment in listed + [timeline.open].compactMap({ $0 }) {
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

    private func format(_ seconds: Double) -> String { String(format: "%.3f", seconds) }
}
