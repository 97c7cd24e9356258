import Foundation

/// Renders the multivariant playlist (`/live/{channel}/index.m3u8`, and `dvr.m3u8` for rewinding).
public enum MultivariantPlaylist {
    public struct Variant: Sendable {
        public var uri: String
        public var stream: StreamDescription
        /// Measured (peak, average) bits per second; nil before the first segment.
        public var bandwidth: (peak: Int, average: Int)?

        public init(uri: String, stream: StreamDescription, bandwidth: (peak: Int, average: Int)? = nil) {
            self.uri = uri
            self.stream = stream
            self.bandwidth = bandwidth
        }
    }

    /// An audio track offered in the `audio` group: the floor (muxed into every variant, so no URI) or an
    /// interpretation (its own audio-only rendition).
    public struct AudioTrack: Sendable {
        public var stream: StreamDescription
        /// nil for the floor.
        public var uri: String?

        public init(stream: StreamDescription, uri: String?) {
            self.stream = stream
            self.uri = uri
        }
    }

    public static let audioGroup = "audio"

    public static func render(_ variants: [Variant], audio: [AudioTrack] = [], extraTags: [String] = [], attributes: String = "") -> String {
        var lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"]
        for track in audio { lines.append(mediaTag(track)) }
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
            if !audio.isEmpty { tag += ",AUDIO=\"\(audioGroup)\"" }
            tag += attributes
            lines.append(tag)
            lines.append(variant.uri)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func mediaTag(_ track: AudioTrack) -> String {
        let stream = track.stream
        var tag = "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"\(audioGroup)\""
        if let language = stream.language { tag += ",LANGUAGE=\"\(language)\"" }
        tag += ",NAME=\"\(quoted(stream.name ?? stream.language ?? "audio"))\""
        tag += track.uri == nil ? ",DEFAULT=YES,AUTOSELECT=YES" : ",DEFAULT=NO,AUTOSELECT=YES"
        if let channels = stream.channels, channels > 0 { tag += ",CHANNELS=\"\(channels)\"" }
        if let uri = track.uri { tag += ",URI=\"\(uri)\"" }
        return tag
    }

    /// Attribute values are quoted strings without `"` or line breaks.
    private static func quoted(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0 != "\"" && $0 != "\n" && $0 != "\r" })
    }
}
