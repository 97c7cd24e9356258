/// A description of one elementary stream, for playlists (`CODECS`, `RESOLUTION`, `FRAME-RATE`) and logs.
public struct MediaTrack: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable { case video, audio }

    public var kind: Kind
    /// FFmpeg's codec name (`h264`, `aac`, …).
    public var codecName: String
    /// The RFC 6381 codec string for HLS `CODECS` (`avc1.4d401f`, `mp4a.40.2`).
    public var codecString: String
    public var width: Int = 0
    public var height: Int = 0
    public var frameRate: Double = 0
    public var sampleRate: Int = 0
    public var channels: Int = 0
    /// Declared bit rate in bits per second, 0 when the container does not say.
    public var bitRate: Int = 0
    /// ISO 639-2 language of an audio track (`tha`, `eng`), nil when the input does not say.
    public var language: String?

    public init(kind: Kind, codecName: String, codecString: String) {
        self.kind = kind
        self.codecName = codecName
        self.codecString = codecString
    }
}
