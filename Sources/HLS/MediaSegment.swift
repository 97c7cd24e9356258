import Foundation
import NIOCore

/// One partial segment (`{msn}.{index}.m4s`).
public struct PartialSegment: Sendable {
    public var index: Int
    public var duration: Double
    public var independent: Bool
    /// Dropped once the part falls out of the playlist's part window; the segment keeps the media.
    public var bytes: ByteBuffer?
    /// When the part was cut (monotonic nanoseconds), for `X-Part-Age-Ms`.
    public var cutAt: UInt64 = 0
}

/// One media segment (`{msn}.m4s`), open while its parts arrive.
public struct MediaSegment: Sendable {
    public var msn: Int
    public var programDateTime: Date
    /// Decode time of the first sample, seconds on the media timeline (0 when unknown).
    public var mediaStart: Double = 0
    /// The first segment after an input interruption.
    public var discontinuity: Bool
    /// Which `init-{generation}.mp4` it decodes with.
    public var initGeneration: Int
    public var parts: [PartialSegment] = []
    /// Whole-segment bytes once closed; nil after eviction from memory (then read from disk).
    public var bytes: ByteBuffer?
    public var isComplete = false

    public var duration: Double { parts.reduce(0) { $0 + $1.duration } }
    public var endDate: Date { programDateTime.addingTimeInterval(duration) }
}
