import Foundation

/// A sitting's transcript as one WebVTT file on the recording's clock.
public enum TranscriptVTT {
    public static func render(_ lines: [TranscriptEntry], timeline: RecordingTimeline) -> String {
        var text = "WEBVTT\n"
        for line in lines where !line.text.isEmpty {
            let start = timeline.offset(of: line.start)
            // A line always shows for a moment, even when its end falls in a gap of the recording.
            let end = max(timeline.offset(of: line.end), start + 0.5)
            let speaker = line.speaker.map { "<v \(escape($0))>" } ?? ""
            text += "\n\(line.id)\n\(timestamp(start)) --> \(timestamp(end))\n\(speaker)\(escape(line.text))\n"
        }
        return text
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\n", with: " ")
    }

    static func timestamp(_ seconds: Double) -> String {
        let millis = Int((max(0, seconds) * 1000).rounded())
        return String(format: "%02d:%02d:%02d.%03d", millis / 3_600_000, millis / 60_000 % 60, millis / 1000 % 60, millis % 1000)
    }
}
