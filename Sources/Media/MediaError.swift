import CFFmpeg

/// An error from the media path, with a stable code and a message that never carries credentials.
public struct MediaError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable machine-readable code.
    public enum Code: String, Sendable {
        case openFailed = "media.open_failed"
        case noPlayableStreams = "media.no_playable_streams"
        case readFailed = "media.read_failed"
        case timedOut = "media.timed_out"
        case muxerFailed = "media.muxer_failed"
        case stopped = "media.stopped"
        /// The source's timestamps jumped (its encoder restarted while the connection stayed up, as UDP does).
        case timestampJump = "media.timestamp_jump"
        /// The input's streams changed mid-session (a new stream appeared: another codec, an added track).
        case streamsChanged = "media.streams_changed"
        /// A decoder, filter or encoder could not be set up or failed.
        case transcodeFailed = "media.transcode_failed"
        /// A decoder refused a packet (a corrupt GOP); it recovers at the next keyframe.
        case invalidData = "media.invalid_data"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// The text FFmpeg gives for an `AVERROR` code.
    static func ffmpegText(_ status: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        cffmpeg_error_string(status, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A URL made safe for logs and errors: user info (passwords, stream keys in `user:pass@`) and query strings
/// (`?passphrase=…`, `?key=…`) are removed.
public func redactedURL(_ url: String) -> String {
    var text = url
    if let query = text.firstIndex(of: "?") { text = String(text[..<query]) + "?…" }
    if let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@") {
        let slash = text[scheme.upperBound...].firstIndex(of: "/") ?? text.endIndex
        if at < slash { text = String(text[..<scheme.upperBound]) + "***@" + String(text[text.index(after: at)...]) }
    }
    return text
}
