import CFFmpeg

/// Owns one encoding `AVCodecContext`: H.264 through libx264, or AAC-LC through FFmpeg's own encoder.
final class Encoder {
    let context: UnsafeMutablePointer<AVCodecContext>
    /// The stream parameters (with `extradata`: avcC / AudioSpecificConfig) for the muxer.
    let parameters: UnsafeMutablePointer<AVCodecParameters>
    private let packet = Packet()
    /// Ticks of `context.time_base` per frame (video), to give every packet a duration.
    private let frameTicks: Int64

    /// The settings of one H.264 rendition.
    struct Video {
        var width: Int32
        var height: Int32
        var sampleAspect: AVRational
        var timeBase: AVRational
        var frameRate: AVRational
        var bitrate: Int
        /// libx264 preset (`veryfast`, …).
        var preset: String
    }

    convenience init(video: Video) throws {
        guard let codec = avcodec_find_encoder_by_name("libx264") else {
            throw MediaError(.transcodeFailed, "this FFmpeg build has no libx264 encoder")
        }
        let rate = video.frameRate.num > 0 && video.frameRate.den > 0 ? video.frameRate : AVRational(num: 25, den: 1)
        try self.init(codec: codec, frameTicks: max(1, av_rescale_q(1, av_inv_q(rate), video.timeBase))) { context, options in
            context.pointee.width = video.width
            context.pointee.height = video.height
            context.pointee.sample_aspect_ratio = video.sampleAspect
            context.pointee.pix_fmt = AV_PIX_FMT_YUV420P
            context.pointee.time_base = video.timeBase
            context.pointee.framerate = rate
            context.pointee.bit_rate = Int64(video.bitrate)
            context.pointee.rc_max_rate = Int64(video.bitrate) * 3 / 2
            context.pointee.rc_buffer_size = Int32(clamping: video.bitrate * 2)
            // Keyframes come where the source's segments are cut (forced); the encoder adds none of its own
            // within ten seconds, so every rendition's segments cover the same time.
            context.pointee.gop_size = Int32(max(1, av_q2d(rate) * 10))
            context.pointee.max_b_frames = 0
            av_dict_set(&options, "preset", video.preset, 0)
            // No lookahead and no frame delay: a frame in is a packet out, so parts are cut where the source's are.
            av_dict_set(&options, "tune", "zerolatency", 0)
            av_dict_set(&options, "forced-idr", "1", 0)
            av_dict_set(&options, "x264-params", "scenecut=0", 0)
        }
    }

    /// AAC-LC, 48 kHz; `channels` 1 or 2.
    convenience init(aacChannels channels: Int32, bitrate: Int) throws {
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_AAC) else { throw MediaError(.transcodeFailed, "no AAC encoder") }
        try self.init(codec: codec, frameTicks: 0) { context, _ in
            context.pointee.sample_rate = 48_000
            context.pointee.sample_fmt = AV_SAMPLE_FMT_FLTP
            av_channel_layout_default(&context.pointee.ch_layout, channels)
            context.pointee.time_base = AVRational(num: 1, den: 48_000)
            context.pointee.bit_rate = Int64(bitrate)
            context.pointee.profile = FF_PROFILE_AAC_LOW
        }
    }

    private init(codec: UnsafePointer<AVCodec>, frameTicks: Int64, configure: (UnsafeMutablePointer<AVCodecContext>, inout OpaquePointer?) -> Void) throws {
        guard let context = avcodec_alloc_context3(codec), let parameters = avcodec_parameters_alloc() else {
            throw MediaError(.transcodeFailed, "out of memory")
        }
        self.context = context
        self.parameters = parameters
        self.frameTicks = frameTicks
        var options: OpaquePointer? = nil
        defer { av_dict_free(&options) }
        configure(context, &options)
        // MP4 wants the decoder configuration in the sample entry, not in-band.
        context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        var status = avcodec_open2(context, codec, &options)
        if status >= 0 { status = avcodec_parameters_from_context(parameters, context) }
        guard status >= 0 else {
            throw MediaError(.transcodeFailed, "cannot open the \(String(cString: codec.pointee.name)) encoder: \(MediaError.ffmpegText(status))")
        }
    }

    deinit {
        var maybeContext: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&maybeContext)
        var maybeParameters: UnsafeMutablePointer<AVCodecParameters>? = parameters
        avcodec_parameters_free(&maybeParameters)
    }

    /// Samples per frame the encoder takes (AAC: 1024); 0 for video.
    var frameSize: Int32 { context.pointee.frame_size }

    /// Encodes `frame` (nil: drain at the end); `keyframe` forces an IDR. Each packet is handed to `body`
    /// with its timestamps in `context.time_base` and reused after `body` returns.
    func encode(_ frame: Frame?, keyframe: Bool = false, _ body: (Packet) throws -> Void) throws {
        if let frame {
            frame.pointer.pointee.pict_type = keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE
        }
        let sent = avcodec_send_frame(context, frame?.pointer)
        if sent < 0 && sent != cffmpeg_error_eof() { throw MediaError(.transcodeFailed, "encoding: \(MediaError.ffmpegText(sent))") }
        while true {
            let status = avcodec_receive_packet(context, packet.pointer)
            if status == cffmpeg_error_eagain() || status == cffmpeg_error_eof() { return }
            if status < 0 { throw MediaError(.transcodeFailed, "encoding: \(MediaError.ffmpegText(status))") }
            defer { packet.unref() }
            if frameTicks > 0 && packet.pointer.pointee.duration <= 0 { packet.pointer.pointee.duration = frameTicks }
            try body(packet)
        }
    }
}
