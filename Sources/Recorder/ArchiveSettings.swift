import Foundation

/// How sittings are archived and kept (`archive.*` in the configuration).
public struct ArchiveSettings: Sendable, Equatable {
    /// Days an ended sitting (its recording, transcript, catalog rows) and live media not in a sitting are
    /// kept; 0 keeps everything for ever.
    public var retentionDays = 0.0
    /// Remux `recording.mp4` as soon as a sitting ends (otherwise on its first request).
    public var exportOnEnd = true
    /// Seconds to wait after `sitting.ended` for the segment holding the end to close.
    public var endWait = 15.0

    public init() {}
}
