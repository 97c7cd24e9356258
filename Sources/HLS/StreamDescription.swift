/// What a rendition carries, for the multivariant playlist's `EXT-X-STREAM-INF` or `EXT-X-MEDIA`.
public struct StreamDescription: Sendable, Equatable {
    /// RFC 6381 codec strings (`avc1.4d401f`, `mp4a.40.2`).
    public var codecs: [String]
    public var width: Int?
    public var height: Int?
    public var frameRate: Double?
    /// Declared bits per second, used until measured segments give a figure.
    public var declaredBandwidth: Int
    /// The audio's language as a BCP 47 tag (`th`, `en`), nil when unknown.
    public var language: String?
    /// The audio's name for people (`เสียงในห้องประชุม / Floor`).
    public var name: String?
    public var channels: Int?
    /// An interpretation track: listed as an `EXT-X-MEDIA` alternative, not as a variant.
    public var isAlternateAudio: Bool

    public init(codecs: [String], width: Int? = nil, height: Int? = nil, frameRate: Double? = nil, declaredBandwidth: Int = 0,
                language: String? = nil, name: String? = nil, channels: Int? = nil, isAlternateAudio: Bool = false) {
        self.codecs = codecs.filter { !$0.isEmpty }
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.declaredBandwidth = declaredBandwidth
        self.language = language
        self.name = name
        self.channels = channels
        self.isAlternateAudio = isAlternateAudio
    }

    public var hasVideo: Bool { width != nil }
}
