import Foundation
import WallClock

/// Renders a finished recording (`EXT-X-PLAYLIST-TYPE:VOD`, `EXT-X-ENDLIST`) from a rendition's disk index.
public enum VODPlaylist {
    /// `uriPrefix` is put before each file name (e.g. `../../live/senate/source/` for an archive page).
    /// `live`: an `EVENT` playlist of a sitting still going on (rewinding while live): no `EXT-X-ENDLIST`.
    public static func render(_ entries: [SegmentDisk.IndexEntry], uriPrefix: String = "", live: Bool = false) -> String {
        let target = max(1, Int((entries.map(\.duration).max() ?? 1).rounded()))
        var lines = [
            "#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-PLAYLIST-TYPE:\(live ? "EVENT" : "VOD")", "#EXT-X-INDEPENDENT-SEGMENTS",
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
        if !live { lines.append("#EXT-X-ENDLIST") }
        return lines.joined(separator: "\n") + "\n"
    }
}
