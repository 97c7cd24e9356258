import Foundation
import NIOCore

/// Names of the renditions the segmenter produces; ladder rungs are named by `hls.ladder`.
public enum Rendition {
    /// H.264 (copied or encoded) with the floor audio: what every player takes.
    public static let source = "source"
    /// An HEVC input kept as it came (under `auto`, next to its H.264 `source`).
    public static let hevc = "hevc"
    /// The floor audio alone, for viewers on weak mobile data.
    public static let audio = "audio"

    /// The audio-only rendition of audio track `position` (0: the floor, `audio`; then `audio2`, `audio3`…).
    public static func audio(_ position: Int) -> String { position == 0 ? audio : "audio\(position + 1)" }

    /// Every name a channel may serve, in the multivariant playlist's order.
    public static func all(ladder: [LadderRung], maxAudioTracks: Int) -> [String] {
        [source, hevc] + ladder.map(\.name) + (0..<max(1, maxAudioTracks)).map(audio)
    }
}

/// What one rendition carries in the current session.
public struct RenditionLayout: Sendable, Equatable {
    public var name: String
    /// Its tracks: a video (if any) then audio.
    public var tracks: [MediaTrack]
    /// An audio track other than the floor (interpretation): offered as an alternative audio rendition,
    /// not as a variant of its own.
    public var isAlternateAudio: Bool
    /// Encoded by us (else copied from the input).
    public var transcoded: Bool
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
    /// A new input session began (first open, reconnect): what follows is discontinuous with what came
    /// before. `plan` says what is copied and what transcoded, and why.
    case sessionStarted(plan: MediaPlan, renditions: [RenditionLayout])
    /// The initialization section (`ftyp`+`moov`) of a rendition for the current session.
    case initialization(String, bytes: ByteBuffer)
    /// The next part of a rendition.
    case part(String, MediaPart)
    /// The segment in progress is complete in these renditions; their next part starts a new one.
    case segmentEnded([String])
    /// A rendition stops for the rest of the session (its encoder fell behind real time or failed).
    case renditionDropped(String, reason: String)
}
