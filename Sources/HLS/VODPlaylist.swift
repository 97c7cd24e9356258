import Foundation
import WallClock

/// Renders a finished recording (`EXT-X-PLAYLIST-TYPE:VOD`, `EXT-X-ENDLIST`) from a rendition's disk index.
public enum VODPlaylist {
    /// What a playlist of recorded segments is.
    public enum Kind: Sendable {
        /// A finished recording: `VOD`, `EXT-X-ENDLIST`.
        case vod
        /// Rewinding a sitting still going on: `EVENT` (segments are only ever added), no end.
        case event
        /// Rewinding the last hours outside a sitting: old segments leave the front, so no playlist type.
        case sliding
    }

    /// `uriPrefix` is put before each file name (e.g. `../../live/senate/source/` for an archive page).
    public static func render(_ entries: [SegmentDisk.IndexEntry], uriPrefix: String = "", kind: Kind = .vod) -> String {
        let target = max(1, Int((entries.map(\.duration).max() ?? 1).rounded()))
        var lines = ["#EXTM3U", "#EXT-X-VERSION:6"]
        switch kind {
        case .vod: lines.append("#EXT-X-PLAYLIST-TYPE:VOD")
        case .event: lines.append("#EXT-X-PLAYLIST-TYPE:EVENT")
        case .sliding: break
        }
        lines += [
            "#EXT-X-INDEPENDENT-SEGMENTS",
            "#EXT-X-TARGETDURATION:\(target)", "#EXT-X-MEDIA-SEQUENCE:\(entries.first?.msn ?? 0)",
        ]
        var generation: Int?
        for (offset, entry) in entries.enumerated() {
            if offset > 0 && (entry.discontinuity || entry.initGeneration != generation) { lines.append("#EXT-X-DISCONTINUITY") }
            if entry.initGeneration != generation {
                generation = entry.initGeneration
                lines.append("#EXT-X-MAP:URI=\"\(uriPrefix)init-\(entry.initGeneration).mp4\"")
            }
            lines.append("#EXT-X-PROGRAM-DATE-TIME:\(ISO8601.format(entry.programDateTime))")
            lines.append("#EXTINF:\(String(format: "%.3f", entry.duration)),")
            lines.append("\(uriPrefix)\(entry.msn).m4s")
        }
        if kind == .vod { lines.append("#EXT-X-ENDLIST") }
        return lines.joined(separator: "\n") + "\n"
    }
}
