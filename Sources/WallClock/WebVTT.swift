import Foundation

/// The pieces of a WebVTT cue shared by the live subtitle rendition (HLS) and the archived transcript (Archive).
public enum WebVTT {
    /// `HH:MM:SS.mmm`; negative times are 0.
    public static func timestamp(_ seconds: Double) -> String {
        let millis = Int((max(0, seconds) * 1000).rounded())
        return String(format: "%02d:%02d:%02d.%03d", millis / 3_600_000, millis / 60_000 % 60, millis / 1000 % 60, millis % 1000)
    }

    /// Cue text on one line, with `&`, `<` and `>` escaped (so `-->` cannot end the timing line either).
    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\n", with: " ")
    }
}
