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
    @discardableResult
    public static func write(runs: [Run], chapters: [Chapter], to output: URL, isCancelled: @escaping () -> Bool = { false }) throws -> Int {
        guard !runs.isEmpty else { throw MediaError(.openFailed, "the recording has no media") }
        let temporary = output.deletingLastPathComponent().appendingPathComponent(".\(output.lastPathComponent).tmp")
        let list = output.deletingLastPathComponent().appendingPathComponent(".\(output.lastPathComponent).list")
        defer { try? FileManager.default.removeItem(at: list) }
        do {
            let skipped = try write(runs: runs, chapters: chapters, temporary: temporary, list: list, isCancelled: isCancelled)
            guard rename(temporary.path, output.path) == 0 else {
                throw MediaError(.muxerFailed, "cannot rename the recording: \(String(cString: strerror(errno)))")
            }
            return skipped
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    private static func write(runs: [Run], chapters: [Chapter], temporary: URL, list: URL, isCancelled: @escaping () -> Bool) throws -> Int {
        let muxer = try RecordingMuxer(path: temporary.path, chapters: chapters, isCancelled: isCancelled)
        var offset = 0.0
        for run in runs {
            // The concatf protocol reads the listed files as one stream: an init segment followed by its
            // fragments is a valid fragmented MP4.
            try run.files.map(\.path).joined(separator: "\n").write(to: list, atomically: true, encoding: .utf8)
            // The input's interrupt callback points at `control`: it must outlive the input.
            let control = InterruptControl()
            let input = try InputContext(url: "concatf:" + list.path, options: [:], control: control, openTimeout: 30, protocols: "concatf,file")
            try withExtendedLifetime(control) { try muxer.append(input, control: control, offset: offset) }
            offset += run.duration
        }
        try muxer.finish()
        return muxer.skippedRuns
    }
}

/// The progressive MP4 output of `RecordingExport`: streams are created from the first input, and the
/// packets of each input are shifted to start at their run's offset.
private final class RecordingMuxer {
    private let context: UnsafeMutablePointer<AVFormatContext>
    private let chapters: [RecordingExport.Chapter]
    private var outputs: [AVMediaType.RawValue: Int32] = [:]
    private var lastDts: [Int32: Int64] = [:]
    private var headerWritten = false
    private let path: String
    private let isCancelled: () -> Bool
    private(set) var skippedRuns = 0

    init(path: String, chapters: [RecordingExport.Chapter], isCancelled: @escaping () -> Bool) throws {
        var maybeContext: UnsafeMutablePointer<AVFormatContext>?
        guard avformat_alloc_output_context2(&maybeContext, nil, "mp4", path) >= 0, let context = maybeContext else {
            throw MediaError(.muxerFailed, "cannot create the mp4 muxer")
        }
        self.context = context
        self.chapters = chapters
        self.path = path
        self.isCancelled = isCancelled
    }

    deinit {
        if context.pointee.pb != nil { avio_closep(&context.pointee.pb) }
        avformat_free_context(context)
    }

    func append(_ input: InputContext, control: InterruptControl, offset: Double) throws {
        var streams: [Int: Int32] = [:]
        for index in [input.videoStream, input.audioStream].compactMap({ $0 }) {
            let type = input.stream(index).pointee.codecpar.pointee.codec_type
            if !headerWritten {
                guard let out = avformat_new_stream(context, nil) else { throw MediaError(.muxerFailed, "cannot add a stream") }
                avcodec_parameters_copy(out.pointee.codecpar, input.stream(index).pointee.codecpar)
                out.pointee.codecpar.pointee.codec_tag = 0
                out.pointee.time_base = input.timeBase(index)
                outputs[type.rawValue] = out.pointee.index
            }
            if let out = outputs[type.rawValue], Self.sameSettings(context.pointee.streams[Int(out)]!.pointee.codecpar, input.stream(index).pointee.codecpar) {
                streams[index] = out
            }
        }
        if streams.count < outputs.count { skippedRuns += 1 }
        if !headerWritten { try writeHeader() }
        let origin = input.context.pointee.start_time == cffmpeg_nopts_value() ? 0 : input.context.pointee.start_time
        let packet = Packet()
        while try input.read(into: packet, control: control, timeout: 30) {
            defer { packet.unref() }
            if isCancelled() { throw MediaError(.stopped, "the recording export was cancelled") }
            guard let out = streams[packet.streamIndex] else { continue }
            let inBase = input.timeBase(packet.streamIndex)
            let outBase = context.pointee.streams[Int(out)]!.pointee.time_base
            let shift = av_rescale_q(Int64((offset * 1_000_000).rounded()) - origin, cffmpeg_time_base_q(), outBase)
            let raw = packet.pointer
            av_packet_rescale_ts(raw, inBase, outBase)
            if raw.pointee.dts != cffmpeg_nopts_value() { raw.pointee.dts += shift }
            if raw.pointee.pts != cffmpeg_nopts_value() { raw.pointee.pts += shift }
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
        }
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
