import CFFmpeg

/// Owns one libavfilter graph with a single buffer source and a single sink (deinterlace and pixel format,
/// scale, or resample and reframe audio), described as FFmpeg's filter text.
final class FilterGraph {
    private var graph: UnsafeMutablePointer<AVFilterGraph>?
    private let source: UnsafeMutablePointer<AVFilterContext>
    private let sink: UnsafeMutablePointer<AVFilterContext>
    private let output = Frame()

    /// What a video buffer source is fed.
    struct Picture: Equatable {
        var width: Int32
        var height: Int32
        var format: Int32
        var timeBase: AVRational
        var sampleAspect: AVRational
        var frameRate: AVRational

        static func == (a: Picture, b: Picture) -> Bool {
            a.width == b.width && a.height == b.height && a.format == b.format
        }

        init(width: Int32, height: Int32, format: Int32, timeBase: AVRational, sampleAspect: AVRational, frameRate: AVRational) {
            self.width = width
            self.height = height
            self.format = format
            self.timeBase = timeBase
            self.sampleAspect = sampleAspect.num > 0 && sampleAspect.den > 0 ? sampleAspect : AVRational(num: 1, den: 1)
            self.frameRate = frameRate
        }

        /// The picture a decoded `frame` is, keeping the time base and rate of `self`.
        func matching(_ frame: Frame) -> Picture {
            Picture(width: frame.pointer.pointee.width, height: frame.pointer.pointee.height, format: frame.pointer.pointee.format,
                    timeBase: timeBase, sampleAspect: frame.pointer.pointee.sample_aspect_ratio, frameRate: frameRate)
        }
    }

    /// A video graph: `description` runs between the source (fed `picture`) and the sink.
    convenience init(picture: Picture, description: String) throws {
        var args = "video_size=\(picture.width)x\(picture.height):pix_fmt=\(picture.format):time_base=\(picture.timeBase.num)/\(picture.timeBase.den)"
        args += ":pixel_aspect=\(picture.sampleAspect.num)/\(picture.sampleAspect.den)"
        if picture.frameRate.num > 0 && picture.frameRate.den > 0 { args += ":frame_rate=\(picture.frameRate.num)/\(picture.frameRate.den)" }
        try self.init(source: "buffer", arguments: args, sink: "buffersink", description: description)
    }

    /// An audio graph fed by `decoder`'s frames (timestamps in `timeBase`); the sink hands out frames of
    /// exactly `frameSize` samples (the AAC encoder takes 1024) when it is not 0.
    convenience init(audioFrom decoder: Decoder, timeBase: AVRational, description: String, frameSize: Int32) throws {
        let context = decoder.context.pointee
        var layout = AVChannelLayout()
        if context.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || context.ch_layout.nb_channels == 0 {
            av_channel_layout_default(&layout, max(1, context.ch_layout.nb_channels))
        } else {
            av_channel_layout_copy(&layout, [context.ch_layout])
        }
        defer { av_channel_layout_uninit(&layout) }
        var name = [CChar](repeating: 0, count: 128)
        av_channel_layout_describe(&layout, &name, name.count)
        let format = String(cString: av_get_sample_fmt_name(context.sample_fmt))
        let args = "time_base=\(timeBase.num)/\(timeBase.den):sample_rate=\(context.sample_rate):sample_fmt=\(format):channel_layout=\(String(cString: name))"
        try self.init(source: "abuffer", arguments: args, sink: "abuffersink", description: description)
        if frameSize > 0 { av_buffersink_set_frame_size(sink, UInt32(frameSize)) }
    }

    private init(source sourceName: String, arguments: String, sink sinkName: String, description: String) throws {
        guard let graph = avfilter_graph_alloc() else { throw MediaError(.transcodeFailed, "out of memory") }
        self.graph = graph
        var source: UnsafeMutablePointer<AVFilterContext>?
        var sink: UnsafeMutablePointer<AVFilterContext>?
        var status = avfilter_graph_create_filter(&source, avfilter_get_by_name(sourceName), "in", arguments, nil, graph)
        if status >= 0 { status = avfilter_graph_create_filter(&sink, avfilter_get_by_name(sinkName), "out", nil, nil, graph) }
        guard status >= 0, let source, let sink else {
            avfilter_graph_free(&self.graph)
            throw MediaError(.transcodeFailed, "filter \(sourceName)(\(arguments)): \(MediaError.ffmpegText(status))")
        }
        self.source = source
        self.sink = sink
        // The description's open input is fed by our source, its open output feeds our sink.
        var outputs = avfilter_inout_alloc()
        var inputs = avfilter_inout_alloc()
        defer {
            avfilter_inout_free(&outputs)
            avfilter_inout_free(&inputs)
        }
        outputs?.pointee.name = av_strdup("in")
        outputs?.pointee.filter_ctx = source
        inputs?.pointee.name = av_strdup("out")
        inputs?.pointee.filter_ctx = sink
        status = avfilter_graph_parse_ptr(graph, description, &inputs, &outputs, nil)
        if status >= 0 { status = avfilter_graph_config(graph, nil) }
        guard status >= 0 else {
            avfilter_graph_free(&self.graph)
            throw MediaError(.transcodeFailed, "filter graph \"\(description)\": \(MediaError.ffmpegText(status))")
        }
    }

    deinit {
        avfilter_graph_free(&graph)
    }

    /// The sink's time base, frame rate, size and sample aspect ratio once configured.
    var outputTimeBase: AVRational { av_buffersink_get_time_base(sink) }
    var outputFrameRate: AVRational { av_buffersink_get_frame_rate(sink) }
    var outputSize: (width: Int32, height: Int32) { (av_buffersink_get_w(sink), av_buffersink_get_h(sink)) }
    var outputSampleAspect: AVRational { av_buffersink_get_sample_aspect_ratio(sink) }

    /// Feeds `frame` (the caller keeps it; nil: end of stream) and hands every frame that comes out to `body`.
    func filter(_ frame: Frame?, _ body: (Frame) throws -> Void) throws {
        let status = av_buffersrc_add_frame_flags(source, frame?.pointer, Int32(AV_BUFFERSRC_FLAG_KEEP_REF))
        if status < 0 { throw MediaError(.transcodeFailed, "filtering: \(MediaError.ffmpegText(status))") }
        while true {
            let pulled = av_buffersink_get_frame(sink, output.pointer)
            if pulled == cffmpeg_error_eagain() || pulled == cffmpeg_error_eof() { return }
            if pulled < 0 { throw MediaError(.transcodeFailed, "filtering: \(MediaError.ffmpegText(pulled))") }
            defer { output.unref() }
            try body(output)
        }
    }
}
