import CFFmpeg

/// Owns one decoding `AVCodecContext`.
final class Decoder {
    let context: UnsafeMutablePointer<AVCodecContext>
    private let frame = Frame()

    /// A decoder for a stream with `parameters`, whose packets carry timestamps in `timeBase`.
    init(parameters: UnsafePointer<AVCodecParameters>, timeBase: AVRational) throws {
        let name = String(cString: avcodec_get_name(parameters.pointee.codec_id))
        guard let codec = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw MediaError(.transcodeFailed, "no decoder for \(name)")
        }
        guard let context = avcodec_alloc_context3(codec) else { throw MediaError(.transcodeFailed, "out of memory") }
        self.context = context
        avcodec_parameters_to_context(context, parameters)
        context.pointee.pkt_timebase = timeBase
        // Slice threads add no delay; frame threads would hold back one frame per thread.
        context.pointee.thread_type = FF_THREAD_SLICE
        context.pointee.thread_count = 2
        let status = avcodec_open2(context, codec, nil)
        guard status >= 0 else { throw MediaError(.transcodeFailed, "cannot open the \(name) decoder: \(MediaError.ffmpegText(status))") }
    }

    deinit {
        var maybeContext: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&maybeContext)
    }

    /// Decodes `packet` (nil: drain at the end) and hands each frame, its `pts` set to the best-effort
    /// timestamp, to `body`; the frame is reused after `body` returns. A packet the decoder refuses (a corrupt
    /// GOP) throws `invalidData`, and the decoder goes on with the next one.
    func decode(_ packet: UnsafeMutablePointer<AVPacket>?, _ body: (Frame) throws -> Void) throws {
        let sent = avcodec_send_packet(context, packet)
        var refused: Int32?
        if sent < 0 && sent != cffmpeg_error_eof() && sent != cffmpeg_error_eagain() { refused = sent }
        while true {
            let status = avcodec_receive_frame(context, frame.pointer)
            if status == cffmpeg_error_eagain() || status == cffmpeg_error_eof() { break }
            if status < 0 { throw MediaError(.transcodeFailed, "decoding: \(MediaError.ffmpegText(status))") }
            defer { frame.unref() }
            frame.pointer.pointee.pts = frame.pointer.pointee.best_effort_timestamp
            guard frame.pointer.pointee.pts != cffmpeg_nopts_value() else { continue }
            try body(frame)
        }
        if let refused { throw MediaError(.invalidData, "the decoder refused a packet: \(MediaError.ffmpegText(refused))") }
    }
}
