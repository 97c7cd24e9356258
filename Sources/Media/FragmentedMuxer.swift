import CFFmpeg
import NIOCore

/// Owns one fMP4 (CMAF) muxing `AVFormatContext` that writes into memory. The caller decides where
/// fragments end (`movflags=frag_custom`); each `flushFragment()` returns one `moof`+`mdat` part.
final class FragmentedMuxer {
    /// One fragment's bytes and timing (seconds on the output timeline).
    struct Fragment {
        var bytes: ByteBuffer
        /// Decode time of the first reference sample (the `tfdt`).
        var start: Double
        /// Presentation time of the first reference sample: what the program-date-time names (with B-frames
        /// the keyframe is shown a few frames after it is decoded).
        var presentation: Double
        var duration: Double
        var independent: Bool
    }

    private let context: UnsafeMutablePointer<AVFormatContext>
    private let io: UnsafeMutablePointer<AVIOContext>
    private let sink = ByteSink()
    private let scratch = Packet()
    /// Input stream index → (output stream index, input time base).
    private var mapping: [Int: (output: Int, timeBase: AVRational)] = [:]
    /// The input stream whose packets time fragments (video if present).
    private let referenceStream: Int
    private var lastDts: [Int: Int64] = [:]
    private(set) var initialization: ByteBuffer?
    private var fragmentStart: Double?
    private var fragmentPresentation = 0.0
    private var fragmentEnd: Double = 0
    private var fragmentIndependent = false
    private var headerWritten = false

    /// One stream the muxer takes: packets arrive with `stream_index == key`, timestamps in `timeBase`.
    struct Input {
        var key: Int
        var parameters: UnsafePointer<AVCodecParameters>
        var timeBase: AVRational
        /// ISO 639-2 code written into the track header (`mdhd`), nil for `und`.
        var language: String?
    }

    /// Creates a muxer for `streams` (input stream indexes) of `input`, copied as they come.
    convenience init(input: InputContext, streams: [Int], referenceStream: Int) throws {
        try self.init(streams: streams.map { Input(key: $0, parameters: input.stream($0).pointee.codecpar, timeBase: input.timeBase($0), language: input.language($0)) },
                      referenceStream: referenceStream)
    }

    /// Creates a muxer for `streams`; fragments are timed by the packets of `referenceStream` (a key).
    init(streams: [Input], referenceStream: Int) throws {
        var maybeContext: UnsafeMutablePointer<AVFormatContext>?
        guard avformat_alloc_output_context2(&maybeContext, nil, "mp4", nil) >= 0, let context = maybeContext else {
            throw MediaError(.muxerFailed, "cannot create the mp4 muxer")
        }
        let bufferSize: Int32 = 64 * 1024
        guard let buffer = av_malloc(Int(bufferSize))?.assumingMemoryBound(to: UInt8.self),
              let io = avio_alloc_context(buffer, bufferSize, 1, Unmanaged.passUnretained(sink).toOpaque(), nil, byteSinkWrite, nil)
        else {
            avformat_free_context(context)
            throw MediaError(.muxerFailed, "out of memory")
        }
        self.context = context
        self.io = io
        self.referenceStream = referenceStream
        context.pointee.pb = io
        context.pointee.flags |= AVFMT_FLAG_CUSTOM_IO

        for stream in streams {
            guard let out = avformat_new_stream(context, nil) else { throw MediaError(.muxerFailed, "cannot add a stream") }
            avcodec_parameters_copy(out.pointee.codecpar, stream.parameters)
            // Apple's players take HEVC in fMP4 only as `hvc1` (parameter sets in the sample entry), not `hev1`.
            out.pointee.codecpar.pointee.codec_tag = stream.parameters.pointee.codec_id == AV_CODEC_ID_HEVC ? cffmpeg_tag(0x68, 0x76, 0x63, 0x31) : 0
            out.pointee.time_base = stream.timeBase
            if let language = stream.language { av_dict_set(&out.pointee.metadata, "language", language, 0) }
            mapping[stream.key] = (Int(out.pointee.index), stream.timeBase)
        }
        try writeHeader()
    }

    deinit {
        avformat_free_context(context)
        var maybeIO: UnsafeMutablePointer<AVIOContext>? = io
        av_freep(&maybeIO!.pointee.buffer)
        avio_context_free(&maybeIO)
    }

    private func writeHeader() throws {
        var options: OpaquePointer? = nil
        // delay_moov: the moov is written at the first flush, once AAC from ADTS has its AudioSpecificConfig.
        av_dict_set(&options, "movflags", "+frag_custom+empty_moov+delay_moov+default_base_moof+cmaf+skip_trailer", 0)
        defer { av_dict_free(&options) }
        let status = avformat_write_header(context, &options)
        guard status >= 0 else { throw MediaError(.muxerFailed, "mp4 header: \(MediaError.ffmpegText(status))") }
        headerWritten = true
    }

    func handles(stream: Int) -> Bool { mapping[stream] != nil }

    /// Writes one packet (a copy: the caller keeps its packet). `time` is the packet's dts and duration in seconds.
    func write(_ packet: Packet, dts: Double, duration: Double) throws {
        guard let (output, inTimeBase) = mapping[packet.streamIndex] else { return }
        let outStream = context.pointee.streams[output]!
        if let last = lastDts[output], packet.pointer.pointee.dts <= last { return }  // muxers reject non-increasing dts
        lastDts[output] = packet.pointer.pointee.dts
        if packet.streamIndex == referenceStream {
            if fragmentStart == nil {
                fragmentStart = dts
                let pts = packet.pointer.pointee.pts
                fragmentPresentation = pts == cffmpeg_nopts_value() ? dts : dts + Double(pts - packet.pointer.pointee.dts) * av_q2d(inTimeBase)
                fragmentIndependent = packet.isKeyframe
            }
            fragmentEnd = max(fragmentEnd, dts + duration)
        }
        av_packet_ref(scratch.pointer, packet.pointer)
        defer { scratch.unref() }
        av_packet_rescale_ts(scratch.pointer, inTimeBase, outStream.pointee.time_base)
        scratch.pointer.pointee.stream_index = Int32(output)
        let status = av_write_frame(context, scratch.pointer)
        if status < 0 { throw MediaError(.muxerFailed, "mp4 write: \(MediaError.ffmpegText(status))") }
    }

    private func flushMuxer() throws -> ByteBuffer {
        let status = av_write_frame(context, nil)
        if status < 0 { throw MediaError(.muxerFailed, "mp4 flush: \(MediaError.ffmpegText(status))") }
        avio_flush(io)
        return sink.take()
    }

    /// Ends the current fragment. Returns nil when nothing was written since the last flush.
    func flushFragment() throws -> Fragment? {
        guard let start = fragmentStart else { return nil }
        var bytes = try flushMuxer()
        if initialization == nil {
            let split = MP4Boxes.splitInitialization(bytes)
            initialization = split.initialization
            // With delay_moov the first flush writes only ftyp+moov; the fragment comes with a second one.
            bytes = split.rest.readableBytes == 0 ? try flushMuxer() : split.rest
        }
        defer { fragmentStart = nil }
        return Fragment(bytes: bytes, start: start, presentation: fragmentPresentation, duration: max(0, fragmentEnd - start), independent: fragmentIndependent)
    }
}
