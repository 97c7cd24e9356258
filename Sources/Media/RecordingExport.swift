import CFFmpeg
import Foundation

/// Remuxes a sitting's fMP4 segments into one progressive MP4 with a chapter per agenda item. Blocking:
/// call it off the event loops and the cooperative pool.
public enum RecordingExport {
    /// The files of one init generation, played back to back: `files[0]` is its `init-g.mp4`.
    public struct Run: Sendable {
        public var files: [URL]
        /// Seconds this run takes in the recording (the sum of its segment durations).
        public var duration: Double

        public init(files: [URL], duration: Double) {
            self.files = files
            self.duration = duration
        }
    }

    /// A titled span of the recording, in seconds.
    public struct Chapter: Sendable {
        public var title: String
        public var start: Double
        public var end: Double

        public init(title: String, start: Double, end: Double) {
            self.title = title
            self.start = start
            self.end = end
        }
    }

    /// Writes `output` (via a temporary file and a rename). Runs follow each other without the time
    /// between them, as in the VOD playlist, so chapter offsets computed on that playlist hold here. A run
    /// whose codec settings differ from the first run's (the input was switched to another encoder) cannot
    /// share its tracks: its time is left empty and it is counted in the result. `isCancelled` is polled
    /// between packets.
    /// - `alternateAudio`: other audio renditions (interpretation), each with runs matching `runs` one to
    ///   one; they become further audio tracks, language-tagged as their segments are.
    /// - `span`: only this part of the recording (seconds), starting at its first keyframe at or after
    ///   `span.lowerBound`, without re-encoding (a clip); `title` goes into the file's metadata.
    @discardableResult
    public static func write(
        runs: [Run], alternateAudio: [[Run]] = [], chapters: [Chapter], span: ClosedRange<Double>? = nil, title: String? = nil,
        to output: URL, isCancelled: @escaping () -> Bool = { false }
    ) throws -> Int {
        guard !runs.isEmpty else { throw MediaError(.openFailed, "the recording has no media") }
        let temporary = output.deletingLastPathComponent().appendingPathComponent(".\(output.lastPathComponent).tmp")
        let list = output.deletingLastPathComponent().appendingPathComponent(".\(output.lastPathComponent).list")
        defer { try? FileManager.default.removeItem(at: list) }
        do {
            let skipped = try write(runs: runs, alternateAudio: alternateAudio, chapters: chapters, span: span, title: title, temporary: temporary, list: list, isCancelled: isCancelled)
            guard rename(temporary.path, output.path) == 0 else {
                throw MediaError(.muxerFailed, "cannot rename the recording: \(String(cString: strerror(errno)))")
            }
            return skipped
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    private static func write(
        runs: [Run], alternateAudio: [[Run]], chapters: [Chapter], span: ClosedRange<Double>?, title: String?, temporary: URL, list: URL,
        isCancelled: @escaping () -> Bool
    ) throws -> Int {
        let muxer = try RecordingMuxer(path: temporary.path, chapters: chapters, span: span, title: title, isCancelled: isCancelled)
        var offset = 0.0
        for (position, run) in runs.enumerated() {
            if let span, offset > span.upperBound { break }
            defer { offset += run.duration }
            if let span, offset + run.duration < span.lowerBound { continue }
            // The interrupt callbacks point at `control`: it must outlive the inputs.
            let control = InterruptControl()
            var inputs: [InputContext] = []
            for (track, files) in ([run.files] + alternateAudio.compactMap { $0.indices.contains(position) ? $0[position].files : nil }).enumerated() {
                // The concatf protocol reads the listed files as one stream: an init segment followed by its
                // fragments is a valid fragmented MP4.
                let listing = list.deletingLastPathComponent().appendingPathComponent(list.lastPathComponent + "\(track)")
                defer { try? FileManager.default.removeItem(at: listing) }
                try files.map(\.path).joined(separator: "\n").write(to: listing, atomically: true, encoding: .utf8)
                inputs.append(try InputContext(url: "concatf:" + listing.path, options: [:], control: control, openTimeout: 30, protocols: "concatf,file"))
            }
            try withExtendedLifetime(control) { try muxer.append(inputs, control: control, offset: offset) }
        }
        try muxer.finish()
        return muxer.skippedRuns
    }
}

/// The progressive MP4 output of `RecordingExport`: streams are created from the first run's inputs (the
/// video and audio of the first, the audio of each further one), and the packets of each run are shifted to
/// start at their run's offset, read from the inputs in decode-time order.
private final class RecordingMuxer {
    private let context: UnsafeMutablePointer<AVFormatContext>
    private let chapters: [RecordingExport.Chapter]
    /// Output stream by slot: 0 the video, 1 + k the audio of input k.
    private var outputs: [Int: Int32] = [:]
    private var lastDts: [Int32: Int64] = [:]
    private var headerWritten = false
    private let path: String
    private let span: ClosedRange<Double>?
    /// A clip starts at its first keyframe at or after the span's start (seconds in the recording).
    private var clipStart: Double?
    private let isCancelled: () -> Bool
    private(set) var skippedRuns = 0

    init(path: String, chapters: [RecordingExport.Chapter], span: ClosedRange<Double>?, title: String?, isCancelled: @escaping () -> Bool) throws {
        var maybeContext: UnsafeMutablePointer<AVFormatContext>?
        guard avformat_alloc_output_context2(&maybeContext, nil, "mp4", path) >= 0, let context = maybeContext else {
            throw MediaError(.muxerFailed, "cannot create the mp4 muxer")
        }
        self.context = context
        self.chapters = chapters
        self.path = path
        self.span = span
        self.isCancelled = isCancelled
        if let title { av_dict_set(&context.pointee.metadata, "title", title, 0) }
    }

    deinit {
        if context.pointee.pb != nil { avio_closep(&context.pointee.pb) }
        avformat_free_context(context)
    }

    func append(_ inputs: [InputContext], control: InterruptControl, offset: Double) throws {
        // (input, stream) → slot
        var streams: [[Int: Int32]] = Array(repeating: [:], count: inputs.count)
        for (position, input) in inputs.enumerated() {
            let used = position == 0 ? [input.videoStream, input.audioStream].compactMap { $0 } : input.audioStream.map { [$0] } ?? []
            for index in used {
                let slot = input.stream(index).pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO ? 0 : 1 + position
                if !headerWritten {
                    guard let out = avformat_new_stream(context, nil) else { throw MediaError(.muxerFailed, "cannot add a stream") }
                    avcodec_parameters_copy(out.pointee.codecpar, input.stream(index).pointee.codecpar)
                    out.pointee.codecpar.pointee.codec_tag = 0
                    out.pointee.time_base = input.timeBase(index)
                    if let language = input.language(index) { av_dict_set(&out.pointee.metadata, "language", language, 0) }
                    outputs[slot] = out.pointee.index
                }
                if let out = outputs[slot], Self.sameSettings(context.pointee.streams[Int(out)]!.pointee.codecpar, input.stream(index).pointee.codecpar) {
                    streams[position][index] = out
                }
            }
        }
        if streams.reduce(0, { $0 + $1.count }) < outputs.count { skippedRuns += 1 }
        if !headerWritten { try writeHeader() }
        // One packet ahead per input; the earliest (in seconds) is written next.
        var heads: [(packet: Packet, seconds: Double)?] = try inputs.map { try next($0, control: control) }
        while let position = heads.indices.filter({ heads[$0] != nil }).min(by: { heads[$0]!.seconds < heads[$1]!.seconds }) {
            if isCancelled() { throw MediaError(.stopped, "the recording export was cancelled") }
            let (packet, _) = heads[position]!
            if let out = streams[position][packet.streamIndex] {
                guard try write(packet, from: inputs[position], to: out, offset: offset) else { return }
            }
            packet.unref()
            heads[position] = try next(inputs[position], control: control)
        }
    }

    private func next(_ input: InputContext, control: InterruptControl) throws -> (Packet, Double)? {
        let packet = Packet()
        guard try input.read(into: packet, control: control, timeout: 30) else { return nil }
        let raw = packet.pointer.pointee
        let time = raw.dts != cffmpeg_nopts_value() ? raw.dts : raw.pts
        return (packet, time == cffmpeg_nopts_value() ? 0 : Double(time) * av_q2d(input.timeBase(packet.streamIndex)))
    }

    /// Writes one packet shifted onto the recording's timeline (and, for a clip, onto the clip's). Returns
    /// false once a clip is past its end.
    private func write(_ packet: Packet, from input: InputContext, to out: Int32, offset: Double) throws -> Bool {
        let inBase = input.timeBase(packet.streamIndex)
        let outStream = context.pointee.streams[Int(out)]!
        let outBase = outStream.pointee.time_base
        let origin = input.context.pointee.start_time == cffmpeg_nopts_value() ? 0 : input.context.pointee.start_time
        let shift = av_rescale_q(Int64((offset * 1_000_000).rounded()) - origin, cffmpeg_time_base_q(), outBase)
        let raw = packet.pointer
        av_packet_rescale_ts(raw, inBase, outBase)
        if raw.pointee.dts != cffmpeg_nopts_value() { raw.pointee.dts += shift }
        if raw.pointee.pts != cffmpeg_nopts_value() { raw.pointee.pts += shift }
        if let span {
            let seconds = Double(raw.pointee.pts != cffmpeg_nopts_value() ? raw.pointee.pts : raw.pointee.dts) * av_q2d(outBase)
            if seconds >= span.upperBound { return outStream.pointee.codecpar.pointee.codec_type != AVMEDIA_TYPE_VIDEO }
            if clipStart == nil {
                guard outStream.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO, packet.isKeyframe, seconds >= span.lowerBound - 0.001 else { return true }
                clipStart = seconds
            }
            guard seconds >= clipStart! - 0.001 else { return true }
            let back = av_rescale_q(Int64((clipStart! * 1_000_000).rounded()), cffmpeg_time_base_q(), outBase)
            if raw.pointee.dts != cffmpeg_nopts_value() { raw.pointee.dts -= back }
            if raw.pointee.pts != cffmpeg_nopts_value() { raw.pointee.pts -= back }
        }
        // Runs meet end to end; a rounding overlap must not make dts go backwards.
        if let last = lastDts[out], raw.pointee.dts != cffmpeg_nopts_value(), raw.pointee.dts <= last {
            let nudge = last + 1 - raw.pointee.dts
            raw.pointee.dts += nudge
            if raw.pointee.pts != cffmpeg_nopts_value() { raw.pointee.pts = max(raw.pointee.pts + nudge, raw.pointee.dts) }
        }
        if raw.pointee.dts != cffmpeg_nopts_value() { lastDts[out] = raw.pointee.dts }
        raw.pointee.stream_index = out
        raw.pointee.pos = -1
        let status = av_interleaved_write_frame(context, raw)
        if status < 0 { throw MediaError(.muxerFailed, "writing the recording: \(MediaError.ffmpegText(status))") }
        return true
    }

    /// Whether packets of `b` can go into a track set up from `a`: same codec, same decoder configuration,
    /// same picture size or sample rate and channels.
    private static func sameSettings(_ a: UnsafeMutablePointer<AVCodecParameters>, _ b: UnsafeMutablePointer<AVCodecParameters>) -> Bool {
        let (x, y) = (a.pointee, b.pointee)
        guard x.codec_id == y.codec_id, x.width == y.width, x.height == y.height, x.sample_rate == y.sample_rate,
              x.ch_layout.nb_channels == y.ch_layout.nb_channels, x.extradata_size == y.extradata_size else { return false }
        guard x.extradata_size > 0, let left = x.extradata, let right = y.extradata else { return true }
        return memcmp(left, right, Int(x.extradata_size)) == 0
    }

    func finish() throws {
        let status = av_write_trailer(context)
        if status < 0 { throw MediaError(.muxerFailed, "finishing the recording: \(MediaError.ffmpegText(status))") }
        avio_closep(&context.pointee.pb)
    }

    private func writeHeader() throws {
        try addChapters()
        let opened = avio_open(&context.pointee.pb, path, AVIO_FLAG_WRITE)
        if opened < 0 { throw MediaError(.muxerFailed, "cannot create \(path): \(MediaError.ffmpegText(opened))") }
        var options: OpaquePointer? = nil
        // faststart: the index goes before the media, so a browser can start playing (and seek) at once.
        av_dict_set(&options, "movflags", "+faststart", 0)
        defer { av_dict_free(&options) }
        let status = avformat_write_header(context, &options)
        if status < 0 { throw MediaError(.muxerFailed, "mp4 header: \(MediaError.ffmpegText(status))") }
        headerWritten = true
    }

    /// Chapters in milliseconds; the muxer writes them as a chapter track and a `chpl` box.
    private func addChapters() throws {
        guard !chapters.isEmpty else { return }
        let array = av_calloc(chapters.count, MemoryLayout<UnsafeMutablePointer<AVChapter>?>.stride)
        guard let array = array?.assumingMemoryBound(to: UnsafeMutablePointer<AVChapter>?.self) else {
            throw MediaError(.muxerFailed, "out of memory")
        }
        context.pointee.chapters = array
        for (index, chapter) in chapters.enumerated() {
            guard let item = av_mallocz(MemoryLayout<AVChapter>.size)?.assumingMemoryBound(to: AVChapter.self) else {
                throw MediaError(.muxerFailed, "out of memory")
            }
            item.pointee.id = Int64(index + 1)
            item.pointee.time_base = AVRational(num: 1, den: 1000)
            item.pointee.start = Int64((chapter.start * 1000).rounded())
            item.pointee.end = max(item.pointee.start, Int64((chapter.end * 1000).rounded()))
            av_dict_set(&item.pointee.metadata, "title", chapter.title, 0)
            array[index] = item
            context.pointee.nb_chapters = UInt32(index + 1)
        }
    }
}
