/// What a rendition carries, for the multivariant playlist's `EXT-X-STREAM-INF`.
public struct StreamDescription: Sendable, Equatable {
    /// RFC 6381 codec strings (`avc1.4d401f`, `mp4a.40.2`).
    public var codecs: [String]
    public var width: Int?
    public var height: Int?
    public var frameRate: Double?
    /// Declared bits per second, used until measured segments give a figure.
    public var declaredBandwidth: Int

    public init(codecs: [String], width: Int? = nil, height: Int? = nil, frameRate: Double? = nil, declaredBandwidth: Int = 0) {
        self.codecs = codecs
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.declaredBandwidth = declaredBandwidth
    }

    public var hasVideo: Bool { width != nil }
}
