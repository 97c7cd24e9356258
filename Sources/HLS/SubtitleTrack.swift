import Foundation
import WallClock

/// The WebVTT subtitle rendition: one `{msn}.vtt` per media segment of the source rendition (same numbers,
/// durations and program-date-times), holding the cues that overlap it.
public enum SubtitleTrack {
    public static let rendition = "subtitles"

    /// `#EXT-X-MEDIA` for the multivariant playlist, and the attribute that ties each variant to it.
    public static let mediaTag = #"#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="ถอดความ / Transcript",LANGUAGE="th",DEFAULT=YES,AUTOSELECT=YES,FORCED=NO,URI="subtitles/index.m3u8""#
    public static let variantAttribute = #",SUBTITLES="subs""#

    /// The media playlist, from the closed segments of the source rendition.
    public static func playlist(_ source: RenditionTimeline, window: Int, segmentTarget: Double) -> String {
        let listed = Array(source.segments.suffix(window))
        let skipped = source.segments.dropLast(listed.count)
        let target = max(Int(segmentTarget.rounded(.up)), Int((listed.map(\.duration).max() ?? 0).rounded()))
        var lines = [
            "#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-TARGETDURATION:\(target)",
            "#EXT-X-MEDIA-SEQUENCE:\(listed.first?.msn ?? source.nextMsn)",
            "#EXT-X-DISCONTINUITY-SEQUENCE:\(source.droppedDiscontinuities + skipped.filter(\.discontinuity).count)",
        ]
        for (index, segment) in listed.enumerated() {
            if segment.discontinuity && index > 0 { lines.append("#EXT-X-DISCONTINUITY") }
            lines.append("#EXT-X-PROGRAM-DATE-TIME:\(ISO8601.format(segment.programDateTime))")
            lines.append("#EXTINF:\(String(format: "%.3f", segment.duration)),")
            lines.append("\(segment.msn).vtt")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A WebVTT segment. `X-TIMESTAMP-MAP` ties local time 0 to the segment's media start (90 kHz), so the
    /// cues land on the picture they belong to; cue times are wall-clock offsets from its program-date-time.
    public static func segment(_ segment: MediaSegment, cues: [Cue]) -> String {
        let start = segment.programDateTime, end = segment.endDate
        var text = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:\(Int64((segment.mediaStart * 90_000).rounded())),LOCAL:00:00:00.000\n"
        for cue in cues where cue.end > start && cue.start < end {
            let from = max(0, cue.start.timeIntervalSince(start)), to = max(from + 0.001, cue.end.timeIntervalSince(start))
            let speaker = cue.speaker.map { "<v \(WebVTT.escape($0))>" } ?? ""
            text += "\n\(cue.id)\n\(WebVTT.timestamp(from)) --> \(WebVTT.timestamp(to))\n\(speaker)\(WebVTT.escape(cue.text))\n"
        }
        return text
    }
}
