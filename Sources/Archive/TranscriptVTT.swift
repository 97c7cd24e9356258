import Foundation
import WallClock

/// A sitting's transcript as one WebVTT file on the recording's clock.
public enum TranscriptVTT {
    public static func render(_ lines: [TranscriptEntry], timeline: RecordingTimeline) -> String {
        var text = "WEBVTT\n"
        for line in lines where !line.text.isEmpty {
            let start = timeline.offset(of: line.start)
            // A line always shows for a moment, even when its end falls in a gap of the recording.
            let end = max(timeline.offset(of: line.end), start + 0.5)
            let speaker = line.speaker.map { "<v \(WebVTT.escape($0))>" } ?? ""
            text += "\n\(line.id)\n\(WebVTT.timestamp(start)) --> \(WebVTT.timestamp(end))\n\(speaker)\(WebVTT.escape(line.text))\n"
        }
        return text
    }
}
