import CFFmpeg
import Foundation
import Logging
import Synchronization

/// Sends FFmpeg's own messages (`[h264 @ 0x…] …`) through swift-log instead of raw stderr, at most
/// `perSecond` a second so a broken source cannot flood the log.
public enum FFmpegLog {
    private struct State {
        var logger: Logger?
        var second = 0
        var count = 0
        var suppressed = 0
    }

    private static let state = Mutex(State())
    static let perSecond = 20

    /// Routes FFmpeg's messages of `level` (`AV_LOG_ERROR` by default) and more severe to `logger`.
    public static func install(logger: Logger, verbose: Bool = false) {
        state.withLock { $0.logger = logger }
        av_log_set_level(verbose ? AV_LOG_WARNING : AV_LOG_ERROR)
        av_log_set_callback(ffmpegLogCallback)
    }

    fileprivate static func log(level: Int32, message: String) {
        let now = Int(Date().timeIntervalSince1970)
        let logger: Logger? = state.withLock { state in
            if state.second != now {
                let dropped = state.suppressed
                state = State(logger: state.logger, second: now, count: 0, suppressed: 0)
                if dropped > 0 { state.logger?.warning("ffmpeg: \(dropped) more messages suppressed") }
            }
            state.count += 1
            guard state.count <= perSecond else {
                state.suppressed += 1
                return nil
            }
            return state.logger
        }
        guard let logger else { return }
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        switch level {
        case ...AV_LOG_FATAL: logger.error("ffmpeg: \(text)")
        case ...AV_LOG_ERROR: logger.warning("ffmpeg: \(text)")
        case ...AV_LOG_WARNING: logger.notice("ffmpeg: \(text)")
        default: logger.debug("ffmpeg: \(text)")
        }
    }
}

private func ffmpegLogCallback(_ context: UnsafeMutableRawPointer?, _ level: Int32, _ format: UnsafePointer<CChar>?, _ arguments: CVaListPointer?) {
    guard level <= av_log_get_level(), let format, let arguments else { return }
    var buffer = [CChar](repeating: 0, count: 1024)
    var printPrefix: Int32 = 1
    av_log_format_line2(context, level, format, arguments, &buffer, Int32(buffer.count), &printPrefix)
    FFmpegLog.log(level: level, message: String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
}
