import Foundation
import Testing

/// Every end-to-end test starts the real `senate-live` binary and talks to it as real clients do.
/// They run one at a time: each plays media in real time, and timing checks need the CPU to themselves.
@Suite(.serialized)
struct EndToEnd {
    /// Environment for one channel `senate` playing `input` as live, with 2 s segments and 0.5 s parts.
    static func liveEnvironment(input: String, loop: Bool = true, extra: [String: String] = [:]) -> [String: String] {
        [
            "SENATE_LIVE_CHANNELS": "senate",
            "SENATE_LIVE_CHANNEL_SENATE_INPUT": input,
            "SENATE_LIVE_CHANNEL_SENATE_LOOP": loop ? "true" : "false",
            "SENATE_LIVE_SEGMENT_TARGET": "2",
            "SENATE_LIVE_PART_TARGET": "0.5",
        ].merging(extra) { _, new in new }
    }

    /// Fetches `init` + `file` of a rendition and probes them together.
    static func probe(_ base: String, rendition: String, initialization: String, file: String) async throws -> Probe {
        let head = try await HTTP.get("\(base)/\(rendition)/\(initialization)")
        let body = try await HTTP.get("\(base)/\(rendition)/\(file)")
        try #require(head.status == 200 && body.status == 200, "\(initialization): \(head.status), \(file): \(body.status)")
        return try Probe.media(head.body + body.body)
    }

    /// The `EXT-X-MAP` URI in force for the last segment of a playlist.
    static func currentMap(_ text: String) -> String? {
        let line = text.split(separator: "\n").last { $0.hasPrefix("#EXT-X-MAP:") }
        return line.flatMap { PlaylistText(text: text).attribute($0, "URI") }
    }
}
