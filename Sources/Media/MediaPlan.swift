/// Whether an input's tracks are copied as they come or decoded and encoded again (`input.transcode`).
public enum TranscodePolicy: String, Sendable, Codable, CaseIterable {
    /// Copy what every HLS player decodes (progressive H.264, AAC); transcode the rest; keep HEVC and add H.264.
    case auto
    /// Transcode every track.
    case always
    /// Copy every track as it comes (players may not decode it).
    case never
}

/// A video rendition encoded from the decoded source (`hls.ladder`).
public struct LadderRung: Sendable, Equatable, Codable {
    /// Rendition name, used in URLs (`360p`).
    public var name: String
    /// Picture height in pixels; the width follows the source's display aspect ratio.
    public var height: Int
    /// Target video bits per second.
    public var bitrate: Int

    public init(name: String, height: Int, bitrate: Int) {
        self.name = name
        self.height = height
        self.bitrate = bitrate
    }
}

/// What the demuxer tells about one input stream, enough to decide what to do with it.
public struct StreamSummary: Sendable, Equatable {
    public var index: Int
    public var kind: MediaTrack.Kind
    /// FFmpeg's codec name (`h264`, `mpeg2video`, `mp2`, `ac3`, …).
    public var codec: String
    public var interlaced: Bool = false
    /// The stream's ISO 639-2 `language` tag, nil when absent or `und`.
    public var language: String?
    /// Whether this FFmpeg build can decode it.
    public var decodable: Bool = true
    public var height: Int = 0

    public init(index: Int, kind: MediaTrack.Kind, codec: String, interlaced: Bool = false, language: String? = nil, decodable: Bool = true, height: Int = 0) {
        self.index = index
        self.kind = kind
        self.codec = codec
        self.interlaced = interlaced
        self.language = language
        self.decodable = decodable
        self.height = height
    }
}

/// The decision for one input stream, with the reason logged and shown by `GET …/input`.
public struct TrackDecision: Sendable, Equatable, Codable {
    public enum Action: String, Sendable, Codable {
        /// Remuxed as it came.
        case copy
        /// Decoded and encoded again (H.264 / AAC-LC).
        case transcode
        /// Kept as its own rendition and also encoded to H.264 (HEVC under `auto`).
        case copyAndTranscode = "copy+transcode"
        /// Not used: it can be neither copied nor decoded, or it is past `hls.maxAudioTracks`.
        case drop
    }

    public var index: Int
    public var kind: MediaTrack.Kind
    public var codec: String
    public var language: String?
    public var action: Action
    public var reason: String
    /// The codec the track leaves as (`h264`, `aac`, or the copied codec); nil when dropped.
    public var output: String?
}

/// Which tracks of an input are copied, transcoded or dropped, and which renditions come out. Pure: decided
/// from `StreamSummary`s, tested without FFmpeg.
public struct MediaPlan: Sendable, Equatable {
    public var policy: TranscodePolicy
    public var tracks: [TrackDecision]
    /// The video stream used (nil: sound only).
    public var video: TrackDecision?
    /// Audio streams used, floor first.
    public var audio: [TrackDecision]
    /// Ladder rungs to encode (those below the source's height).
    public var ladder: [LadderRung]

    /// Codecs every HLS player (Safari, hls.js, Chromium, Android, smart TVs) decodes in fMP4.
    static let universalVideo: Set<String> = ["h264"]
    static let universalAudio: Set<String> = ["aac"]

    /// `video`: the best video stream (nil if none); `audio`: audio streams in the input's order.
    public init(policy: TranscodePolicy, video: StreamSummary?, audio: [StreamSummary], ladder: [LadderRung], maxAudioTracks: Int) {
        self.policy = policy
        var tracks: [TrackDecision] = []
        if let video {
            tracks.append(Self.decide(video, policy: policy))
        }
        for (position, stream) in audio.enumerated() {
            if position >= maxAudioTracks {
                tracks.append(TrackDecision(index: stream.index, kind: .audio, codec: stream.codec, language: stream.language, action: .drop,
                                            reason: "more audio tracks than hls.maxAudioTracks (\(maxAudioTracks))", output: nil))
            } else {
                tracks.append(Self.decide(stream, policy: policy))
            }
        }
        self.tracks = tracks
        self.video = tracks.first { $0.kind == .video && $0.action != .drop }
        self.audio = tracks.filter { $0.kind == .audio && $0.action != .drop }
        // A rung is only worth encoding below the source's height.
        let sourceHeight = video?.height ?? 0
        self.ladder = self.video == nil ? [] : ladder.filter { sourceHeight == 0 || $0.height < sourceHeight }
    }

    /// Whether any video is decoded (a transcoded source, or a ladder).
    public var decodesVideo: Bool {
        guard let video else { return false }
        return video.action != .copy || !ladder.isEmpty
    }

    /// Whether the `source` rendition's video is encoded by us (else it is the input's, copied).
    public var encodesSource: Bool { video.map { $0.action == .transcode || $0.action == .copyAndTranscode } ?? false }

    /// The decision for one stream: copy what every player decodes, transcode what can be decoded, drop the rest.
    private static func decide(_ stream: StreamSummary, policy: TranscodePolicy) -> TrackDecision {
        let encoded = stream.kind == .video ? "h264" : "aac"
        func decision(_ action: TrackDecision.Action, _ reason: String) -> TrackDecision {
            TrackDecision(index: stream.index, kind: stream.kind, codec: stream.codec, language: stream.language, action: action, reason: reason,
                          output: action == .drop ? nil : (action == .copy ? stream.codec : encoded))
        }
        let universal = (stream.kind == .video ? universalVideo : universalAudio).contains(stream.codec)
        let copyable = universal && !stream.interlaced
        let described = stream.codec + (stream.interlaced ? " (interlaced)" : "")
        switch policy {
        case .never:
            return decision(.copy, copyable ? "\(stream.codec) plays everywhere" : "input.transcode is never: \(described) copied as it is; some players will not decode it")
        case .always:
            guard stream.decodable else { return decision(.drop, "no decoder for \(stream.codec) in this FFmpeg build") }
            return decision(.transcode, "input.transcode is always")
        case .auto:
            if copyable { return decision(.copy, "\(stream.codec) plays everywhere") }
            guard stream.decodable else {
                return decision(.drop, "\(stream.codec) is neither a codec every HLS player decodes nor one this FFmpeg build can decode")
            }
            if stream.codec == "hevc" && !stream.interlaced {
                return decision(.copyAndTranscode, "hevc kept for players that take it, and offered as H.264 for the rest")
            }
            if universal {
                return decision(.transcode, "interlaced: deinterlaced to progressive (browsers show interlaced H.264 with combing or not at all)")
            }
            let chromium = stream.kind == .audio ? " (Chromium plays no \(stream.codec) in fMP4)" : ""
            return decision(.transcode, "\(described) is not a codec every HLS player decodes\(chromium)")
        }
    }
}
