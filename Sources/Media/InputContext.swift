import CFFmpeg
import Foundation
import Logging

/// Owns one demuxing `AVFormatContext`. Every call blocks and belongs on the ingest thread.
final class InputContext {
    let context: UnsafeMutablePointer<AVFormatContext>
    /// The video stream used (FFmpeg's best) and every audio stream, in the input's order (the first is
    /// the floor; the others are interpretation).
    let videoStream: Int?
    let audioStreams: [Int]
    /// The first audio stream.
    var audioStream: Int? { audioStreams.first }
    /// Strips ADTS headers from AAC audio streams that need it.
    private let adts: [Int: ADTSFilter]
    /// Streams when the input opened: a packet of a stream beyond these means the streams changed.
    let openedStreamCount: Int
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
        audioStreams = (0..<Int(opened.pointee.nb_streams)).filter { opened.pointee.streams[$0]!.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_AUDIO }
        openedStreamCount = Int(opened.pointee.nb_streams)
        if videoStream == nil && audioStreams.isEmpty {
            avformat_close_input(&maybeContext)
            throw MediaError(.noPlayableStreams, "\(redactedURL(url)) has no audio or video stream")
        }
        do {
            var filters: [Int: ADTSFilter] = [:]
            for index in audioStreams { filters[index] = try ADTSFilter(stream: opened.pointee.streams[index]!) }
            adts = filters
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
        if let filter = adts[packet.streamIndex], !filter.filter(packet) { packet.unref() }
        return true
    }

    /// Seeks back to the start, for a file that loops.
    func rewind() throws {
        let status = av_seek_frame(context, -1, context.pointee.start_time == cffmpeg_nopts_value() ? 0 : context.pointee.start_time, AVSEEK_FLAG_BACKWARD)
        if status < 0 { throw MediaError(.readFailed, "cannot seek to start: \(MediaError.ffmpegText(status))") }
    }

    /// The stream's ISO 639-2 `language` tag; nil when absent or `und`.
    func language(_ index: Int) -> String? {
        guard let entry = av_dict_get(stream(index).pointee.metadata, "language", nil, 0), let value = entry.pointee.value else { return nil }
        let text = String(cString: value).lowercased()
        return text.isEmpty || text == "und" ? nil : text
    }

    /// What the plan needs to know of a stream.
    func summary(_ index: Int) -> StreamSummary {
        let par = stream(index).pointee.codecpar.pointee
        let interlaced = [AV_FIELD_TT, AV_FIELD_BB, AV_FIELD_TB, AV_FIELD_BT].contains(par.field_order)
        return StreamSummary(
            index: index, kind: par.codec_type == AVMEDIA_TYPE_VIDEO ? .video : .audio,
            codec: String(cString: avcodec_get_name(par.codec_id)), interlaced: interlaced, language: language(index),
            decodable: avcodec_find_decoder(par.codec_id) != nil, height: Int(par.height)
        )
    }

    /// The frame rate of a video stream: the average, else the container's base rate, else 25.
    func frameRate(_ index: Int) -> AVRational {
        let stream = stream(index).pointee
        if stream.avg_frame_rate.num > 0 && stream.avg_frame_rate.den > 0 { return stream.avg_frame_rate }
        if stream.r_frame_rate.num > 0 && stream.r_frame_rate.den > 0 { return stream.r_frame_rate }
        return AVRational(num: 25, den: 1)
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
        track.language = language(index)
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
