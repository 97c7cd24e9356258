/// What to ingest and how.
public struct IngestSource: Sendable, Equatable {
    /// When to release packets at the pace of their timestamps.
    public enum Pacing: String, Sendable, Codable {
        /// Local files are paced (played "as live"); network sources arrive at their own pace.
        case auto
        case always
        case never
    }

    /// Anything libavformat opens: a path, `rtmp://…` (add option `listen=1` to accept a publisher),
    /// `srt://…?mode=listener`, `rtsp://…`, `udp://…` (MPEG-TS), `http(s)://…m3u8`.
    public var url: String
    /// FFmpeg format/protocol options, passed as the `AVDictionary` of `avformat_open_input`.
    public var options: [String: String]
    public var pacing: Pacing
    /// A file starts over at its end, with timestamps that keep increasing.
    public var loop: Bool
    /// Seconds to wait for an input to open (a listener waits this long for a publisher before retrying).
    public var openTimeout: Double
    /// Seconds without a packet before the source counts as lost.
    public var readTimeout: Double
    /// Failed attempts in a row before giving up; nil: retry for ever (a live source comes back).
    public var maxAttempts: Int?
    /// Which tracks are copied and which decoded and encoded again.
    public var transcode: TranscodePolicy

    public init(
        url: String, options: [String: String] = [:], pacing: Pacing = .auto, loop: Bool = false,
        openTimeout: Double = 10, readTimeout: Double = 5, maxAttempts: Int? = nil, transcode: TranscodePolicy = .auto
    ) {
        self.transcode = transcode
        self.maxAttempts = maxAttempts
        self.url = url
        self.options = options
        self.pacing = pacing
        self.loop = loop
        self.openTimeout = openTimeout
        self.readTimeout = readTimeout
    }
}

/// Part and segment targets for the segmenter.
public struct SegmentSettings: Sendable, Equatable {
    /// Longest part, seconds: 0.2–1.0.
    public var partTarget: Double
    /// Segments end at the first keyframe after this many seconds: 1–10.
    public var segmentTarget: Double
    /// Also produce the audio-only rendition.
    public var audioRendition: Bool
    /// Lower video renditions encoded from the decoded source.
    public var ladder: [LadderRung]
    /// Audio tracks kept (the floor, then interpretation); further ones are dropped.
    public var maxAudioTracks: Int
    /// libx264 preset of every encoded video rendition.
    public var encoderPreset: String
    /// Bits per second of an encoded `source`; 0 picks one from its height.
    public var sourceBitrate: Int

    public init(partTarget: Double = 0.5, segmentTarget: Double = 4, audioRendition: Bool = true, ladder: [LadderRung] = [],
                maxAudioTracks: Int = 4, encoderPreset: String = "veryfast", sourceBitrate: Int = 0) {
        self.partTarget = min(1.0, max(0.2, partTarget))
        self.segmentTarget = min(10, max(1, segmentTarget))
        self.audioRendition = audioRendition
        self.ladder = ladder
        self.maxAudioTracks = max(1, maxAudioTracks)
        self.encoderPreset = encoderPreset
        self.sourceBitrate = sourceBitrate
    }
}
