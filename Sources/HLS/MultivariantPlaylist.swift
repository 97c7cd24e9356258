import Foundation

/// Renders the multivariant playlist (`/live/{channel}/index.m3u8`).
public enum MultivariantPlaylist {
    public struct Variant: Sendable {
        public var uri: String
        public var stream: StreamDescription
        /// Measured (peak, average) bits per second; nil before the first segment.
        public var bandwidth: (peak: Int, average: Int)?
    }

    public static func render(_ variants: [Variant], extraTags: [String] = [], attributes: String = "") -> String {
        var lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"]
        lines.append(contentsOf: extraTags)
        for variant in variants {
            let stream = variant.stream
            let fallback = stream.declaredBandwidth > 0 ? stream.declaredBandwidth : (stream.hasVideo ? 2_000_000 : 128_000)
            let peak = variant.bandwidth?.peak ?? fallback
            var tag = "#EXT-X-STREAM-INF:BANDWIDTH=\(peak)"
            if let average = variant.bandwidth?.average { tag += ",AVERAGE-BANDWIDTH=\(average)" }
            tag += ",CODECS=\"\(stream.codecs.joined(separator: ","))\""
            if let width = stream.width, let height = stream.height { tag += ",RESOLUTION=\(width)x\(height)" }
            if let rate = stream.frameRate, rate > 0 { tag += ",FRAME-RATE=\(String(format: "%.3f", rate))" }
            tag += attributes
            lines.append(tag)
            lines.append(variant.uri)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
