import CFFmpeg
import Foundation
import Logging

/// Owns one demuxing `AVFormatContext`. Every call blocks and belongs on the ingest thread.
final class InputContext {
    let context: UnsafeMutablePointer<AVFormatContext>
    /// Input stream indexes that are remuxed (the first video and the first audio stream).
    let videoStream: Int?
    let audioStream: Int?
    /// Strips ADTS headers from the audio stream when it needs it.
    private let adts: ADTSFilter?
    /// When the input's first bytes arrived (for a demuxer without a byte stream, such as RTSP: when it
    /// opened), less the protocol's own delivery delay (SRT's latency). Probing then reads ahead, so the
    /// first packet read is that old, not "now".
    let firstDataAt: Date

    /// Opens `url` with FFmpeg options (`listen=1`, `rtsp_transport=tcp`, …); honours `control` for timeouts.
    /// FFmpeg may use only `protocols` (by default what `InputProtocols` allows for the URL).
    init(url: String, options: [String: String], control: InterruptControl, openTimeout: Double, protocols: String? = nil) throws {
        guard let protocols = protocols ?? InputProtocols.whitelist(for: url) else {
            throw MediaError(.openFailed, "cannot open \(redactedURL(url)): not a kind of input FFmpeg may open here (\(InputProtocols.schemes.joined(separator: ", ")))")
        }
        guard var allocated = avformat_alloc_context() else { throw MediaError(.openFailed, "out of memory") }
        allocated.pointee.interrupt_callback = control.callback
        var dictionary: OpaquePointer? = nil
        for (key, value) in options { av_dict_set(&dictionary, key, value, 0) }
        // Last, so no option given with the input can widen it.
        av_dict_set(&dictionary, "protocol_whitelist", protocols, 0)
        av_dict_set(&dictionary, "protocol_blacklist", nil, 0)
        defer { av_dict_free(&dictionary) }

        control.arm(timeout: openTimeout)
        control.watchFirstData(of: allocated)
        var maybeContext: UnsafeMutablePointer<AVFormatContext>? = allocated
        let status = avformat_open_input(&maybeContext, url, nil, &dictionary)
        guard status >= 0, let opened = maybeContext else {
            control.disarm()
            _ = control.endWatch()
            throw Self.error(.openFailed, "cannot open \(redactedURL(url))", status, control)
        }
        allocated = opened
        let openedAt = Date()
        let probe = avformat_find_stream_info(opened, nil)
        control.disarm()
        firstDataAt = min(control.endWatch() ?? openedAt, openedAt).addingTimeInterval(-InputProtocols.deliveryDelay(url: url, options: options))
        guard probe >= 0 else {
            avformat_close_input(&maybeContext)
            throw Self.error(.openFailed, "cannot read stream info of \(redactedURL(url))", probe, control)
        }
        context = opened
        videoStream = Self.bestStream(opened, AVMEDIA_TYPE_VIDEO)
        audioStream = Self.bestStream(opened, AVMEDIA_TYPE_AUDIO)
        if videoStream == nil && audioStream == nil {
            avformat_close_input(&maybeContext)
            throw MediaError(.noPlayableStreams, "\(redactedURL(url)) has no audio or video stream")
        }
        do {
            adts = try audioStream.flatMap { try ADTSFilter(stream: opened.pointee.streams[$0]!) }
        } catch {
            avformat_close_input(&maybeContext)  // deinit does not run for an init that throws
            throw error
        }
    }

    deinit {
        var maybeContext: UnsafeMutablePointer<AVFormatContext>? = context
        avformat_close_input(&maybeContext)
    }

    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> { context.pointee.streams[index]! }

    func timeBase(_ index: Int) -> AVRational { stream(index).pointee.time_base }

    /// Whether the input is a local file (for pacing and looping).
    var isSeekableFile: Bool {
        guard let pb = context.pointee.pb else { return false }
        return pb.pointee.seekable & AVIO_SEEKABLE_NORMAL != 0 && context.pointee.duration > 0
    }

    /// Reads the next packet into `packet`. Returns false at end of input.
    func read(into packet: Packet, control: InterruptControl, timeout: Double) throws -> Bool {
        control.arm(timeout: timeout)
        defer { control.disarm() }
        let status = av_read_frame(context, packet.pointer)
        if status == cffmpeg_error_eof() { return false }
        if status < 0 { throw Self.error(.readFailed, "read failed", status, control) }
        if let adts, packet.streamIndex == audioStream, !adts.filter(packet) { packet.unref() }
        return true
    }

    /// Seeks back to the start, for a file that loops.
    func rewind() throws {
        let status = av_seek_frame(context, -1, context.pointee.start_time == cffmpeg_nopts_value() ? 0 : context.pointee.start_time, AVSEEK_FLAG_BACKWARD)
        if status < 0 { throw MediaError(.readFailed, "cannot seek to start: \(MediaError.ffmpegText(status))") }
    }

    /// Describes a stream for playlists.
    func track(_ index: Int) -> MediaTrack {
        let stream = stream(index)
        let par = stream.pointee.codecpar!
        let isVideo = par.pointee.codec_type == AVMEDIA_TYPE_VIDEO
        var track = MediaTrack(
            kind: isVideo ? .video : .audio,
            codecName: String(cString: avcodec_get_name(par.pointee.codec_id)),
            codecString: CodecString.make(par)
        )
        track.width = Int(par.pointee.width)
        track.height = Int(par.pointee.height)
        let rate = stream.pointee.avg_frame_rate
        track.frameRate = rate.den > 0 ? av_q2d(rate) : 0
        track.sampleRate = Int(par.pointee.sample_rate)
        track.channels = Int(par.pointee.ch_layout.nb_channels)
        track.bitRate = Int(par.pointee.bit_rate)
        return track
    }

    private static func bestStream(_ context: UnsafeMutablePointer<AVFormatContext>, _ type: AVMediaType) -> Int? {
        let index = av_find_best_stream(context, type, -1, -1, nil, 0)
        return index >= 0 ? Int(index) : nil
    }

    private static func error(_ code: MediaError.Code, _ what: String, _ status: Int32, _ control: InterruptControl) -> MediaError {
        if control.isStopRequested { return MediaError(.stopped, "\(what): stopped") }
        if control.hasTimedOut || status == cffmpeg_error_exit() { return MediaError(.timedOut, "\(what): timed out") }
        return MediaError(code, "\(what): \(MediaError.ffmpegText(status))")
    }
}
