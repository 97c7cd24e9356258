import Foundation
import NIOCore

/// The renditions the segmenter produces from one input.
public enum Rendition: String, Sendable, CaseIterable, Codable {
    /// The input's video and audio, remuxed as they came.
    case source
    /// The input's audio alone, for viewers on weak mobile data.
    case audio
}

/// One fMP4 part (`moof`+`mdat`), ready to serve.
public struct MediaPart: Sendable {
    public var bytes: ByteBuffer
    /// Seconds of media in the part.
    public var duration: Double
    /// Starts with a keyframe (every audio part does).
    public var independent: Bool
    /// Wall-clock time of the part's first sample, on the same clock as event `at` times.
    public var programDateTime: Date
    /// Decode time of the part's first sample on the output timeline, seconds (the `tfdt`), for
    /// aligning WebVTT cues (`X-TIMESTAMP-MAP`).
    public var mediaTime: Double
}

/// What an `Ingest` reports, in order, on its `events` stream.
public enum MediaEvent: Sendable {
    /// The ingest moved to a new state.
    case state(IngestState)
    /// A new input session began (first open, reconnect): what follows is discontinuous with what came before.
    case sessionStarted(tracks: [MediaTrack])
    /// The initialization section (`ftyp`+`moov`) of a rendition for the current session.
    case initialization(Rendition, bytes: ByteBuffer)
    /// The next part of a rendition.
    case part(Rendition, MediaPart)
    /// The segment in progress is complete in every rendition; the next part starts a new one.
    case segmentEnded
}
