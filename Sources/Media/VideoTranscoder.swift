import CFFmpeg
import Foundation
import Logging

/// Decodes the input's video on a thread of its own, deinterlaces it once, and encodes each H.264 rendition
/// (the source when it cannot be copied, the ladder rungs) from it. The ingest thread only queues packets
/// and the cut points it chose, so a slow encoder never holds up the copied renditions; a rendition whose
/// encoder falls behind real time is dropped, not the channel.
final class VideoTranscoder: @unchecked Sendable {
    // @unchecked: built on the ingest thread, then used by the transcoder thread alone; the two share only
    // `queue` (locked) and `done`.

    /// Where the ingest thread cut the copied renditions: the encoded ones cut before the first frame at or
    /// after `pts`, and start a segment there with an IDR.
    struct Boundary {
        enum Kind { case first, part, segment }
        var kind: Kind
        /// Seconds on the output timeline.
        var pts: Double
        /// Wall clock of the media at the cut (the copied part's program-date-time).
        var programDateTime: Date
    }

    enum Work {
        case video(Packet, queuedAt: UInt64)
        /// A floor audio packet for the renditions' muxers (stream index: the audio's muxer key).
        case audio(Packet, dts: Double)
        case boundary(Boundary)
    }

    private let queue: WorkQueue<Work>
    private let decoder: Decoder
    private var deinterlacer: FilterGraph
    private var picture: FilterGraph.Picture
    /// The deinterlacer's output, which every rendition is encoded from.
    private var output: FilterGraph.Picture
    private var renditions: [EncodedRendition]
    private let emit: (MediaEvent) -> Void
    private let logger: Logger
    /// A packaged file waits for the encoder; a live input never does.
    private let waitForEncoder: Bool
    /// Seconds a packet may wait in the queue before the most expensive rendition is dropped.
    private let lagLimit: Double
    private var pending: [Boundary] = []
    private var heldAudio: [(packet: Packet, dts: Double)] = []
    private var partDate: Date?
    private var keyframeNext = true
    private var lastDrop: UInt64 = 0
    private var decodeErrors = 0
    private let done = DispatchSemaphore(value: 0)
    private let abandoned = NSLock()
    private var isAbandoned = false

    /// The renditions being encoded, as the multivariant playlist describes them.
    let layouts: [RenditionLayout]

    init(input: InputContext, stream index: Int, targets: [EncodedRendition.Target], preset: String, floorAudio: FragmentedMuxer.Input?,
         floorTrack: MediaTrack?, segmentTarget: Double, waitForEncoder: Bool, emit: @escaping (MediaEvent) -> Void, logger: Logger) throws {
        let stream = input.stream(index)
        let par = stream.pointee.codecpar.pointee
        decoder = try Decoder(parameters: stream.pointee.codecpar, timeBase: stream.pointee.time_base)
        let format = par.format >= 0 ? par.format : AV_PIX_FMT_YUV420P.rawValue
        picture = FilterGraph.Picture(width: par.width, height: par.height, format: format, timeBase: stream.pointee.time_base,
                                      sampleAspect: par.sample_aspect_ratio, frameRate: input.frameRate(index))
        deinterlacer = try FilterGraph(picture: picture, description: Self.deinterlace)
        output = FilterGraph.Picture(width: par.width, height: par.height, format: AV_PIX_FMT_YUV420P.rawValue,
                                     timeBase: deinterlacer.outputTimeBase, sampleAspect: picture.sampleAspect,
                                     frameRate: deinterlacer.outputFrameRate.num > 0 ? deinterlacer.outputFrameRate : picture.frameRate)
        let made = try targets.map { [output] in try EncodedRendition(target: $0, picture: output, preset: preset, audio: floorAudio) }
        renditions = made
        layouts = made.map { rendition in
            var video = MediaTrack(kind: .video, codecName: "h264", codecString: CodecString.make(rendition.encoder.parameters))
            video.width = Int(rendition.target.width)
            video.height = Int(rendition.target.height)
            video.frameRate = av_q2d(rendition.encoder.context.pointee.framerate)
            video.bitRate = rendition.target.bitrate
            return RenditionLayout(name: rendition.target.name, tracks: [video] + (floorTrack.map { [$0] } ?? []), isAlternateAudio: false, transcoded: true)
        }
        self.emit = emit
        self.logger = logger
        self.waitForEncoder = waitForEncoder
        self.lagLimit = max(3, segmentTarget * 2)
        // Live: room for the 12 s of lag the source may build before it is dropped (25 fps video, its audio,
        // the cut points). A packaged file waits for the encoder, so a short queue keeps its memory small.
        queue = WorkQueue(limit: waitForEncoder ? 128 : 2048)
    }

    /// Deinterlaces only frames flagged interlaced (a progressive source passes through), one frame per
    /// frame (25i stays 25p), into the pixel format the encoder takes.
    static let deinterlace = "bwdif=mode=send_frame:parity=auto:deint=interlaced,format=yuv420p"

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "transcode"
        thread.start()
    }

    /// Queues work; false when a live input's encoder is so far behind that the queue is full.
    func send(_ work: Work) -> Bool {
        queue.push(work, waitForRoom: waitForEncoder)
    }

    /// Ends the session: the thread drains what is queued, closes the last segment, and stops. Waits for it.
    /// A live input's transcoder more than about a second behind gives up its backlog instead, so a stop or
    /// an input switch never waits on a slow encoder.
    func finish() {
        if !waitForEncoder && queue.count > 100 {
            logger.notice("transcoder: the backlog is dropped at the end of the session", metadata: ["queued": "\(queue.count)"])
            abandon()
        }
        queue.close()
        done.wait()
    }

    /// Gives up on the session at once (the queue overflowed): what is queued is discarded, nothing more
    /// is emitted.
    func abandon() {
        abandoned.withLock { isAbandoned = true }
        queue.close()
    }

    private var wasAbandoned: Bool { abandoned.withLock { isAbandoned } }

    private func run() {
        defer { done.signal() }
        while let work = queue.pop() {
            guard !renditions.isEmpty, !wasAbandoned else { continue }
            do {
                switch work {
                case .video(let packet, let queuedAt):
                    dropIfBehind(queuedAt: queuedAt)
                    try decode(packet.pointer)
                case .audio(let packet, let dts):
                    if let next = pending.first, dts >= next.pts { heldAudio.append((packet, dts)) } else { try writeAudio(packet) }
                case .boundary(let boundary):
                    if boundary.kind == .first { partDate = boundary.programDateTime } else { pending.append(boundary) }
                    // A decoder that gives no pictures (a broken stream) must not pile up cuts and audio.
                    if pending.count > 32 { try cut(pending.removeFirst()) }
                }
            } catch let error as MediaError where error.code == .invalidData {
                decodeErrors += 1
                // A corrupt GOP: the decoder recovers at the next keyframe. Logged now and then, not per packet.
                if decodeErrors == 1 || decodeErrors % 100 == 0 {
                    logger.warning("video decoder refused packets (corrupt input?)", metadata: ["count": "\(decodeErrors)", "error": "\(error)"])
                }
            } catch {
                logger.error("transcoding failed; its renditions stop for this session", metadata: ["error": "\(error)"])
                for rendition in renditions { emit(.renditionDropped(rendition.target.name, reason: "\(error)")) }
                renditions = []
            }
        }
        finishSession()
    }

    private func decode(_ packet: UnsafeMutablePointer<AVPacket>?) throws {
        try decoder.decode(packet) { frame in
            let now = picture.matching(frame)
            if now != picture {
                // Mid-stream change of size or format: a new deinterlacer; every rendition keeps its size.
                logger.notice("the source's picture changed; its renditions keep their size", metadata: ["size": "\(now.width)x\(now.height)"])
                try deinterlacer.filter(nil) { try encode($0) }
                deinterlacer = try FilterGraph(picture: now, description: Self.deinterlace)
                picture = now
            }
            try deinterlacer.filter(frame) { try encode($0) }
        }
    }

    private func encode(_ frame: Frame) throws {
        let seconds = Double(frame.pointer.pointee.pts) * av_q2d(output.timeBase)
        let halfFrame = output.frameRate.num > 0 ? 0.5 * Double(output.frameRate.den) / Double(output.frameRate.num) : 0.02
        while let next = pending.first, seconds + halfFrame >= next.pts {
            pending.removeFirst()
            try cut(next)
        }
        for rendition in renditions {
            try rendition.encode(frame, picture: output, keyframe: keyframeNext)
        }
        keyframeNext = false
    }

    private func writeAudio(_ packet: Packet) throws {
        for rendition in renditions {
            try rendition.muxer.write(packet, dts: 0, duration: 0)
        }
    }

    /// Ends the part (and at a segment boundary or the end, nil, the segment) of every rendition before the
    /// frame at `boundary`.
    private func cut(_ boundary: Boundary?) throws {
        let date = partDate ?? Date()
        for rendition in renditions {
            guard let (initialization, fragment) = try rendition.flush() else { continue }
            if let initialization { emit(.initialization(rendition.target.name, bytes: initialization)) }
            emit(.part(rendition.target.name, MediaPart(bytes: fragment.bytes, duration: fragment.duration, independent: fragment.independent,
                                                        programDateTime: date, mediaTime: fragment.start)))
        }
        if boundary == nil || boundary?.kind == .segment {
            emit(.segmentEnded(renditions.map(\.target.name)))
            keyframeNext = true
        }
        partDate = boundary?.programDateTime
        // Audio held back at this cut belongs after it, up to the next cut still pending.
        let limit = pending.first?.pts ?? .infinity
        let ready = heldAudio.filter { $0.dts < limit }
        heldAudio.removeAll { $0.dts < limit }
        for held in ready { try writeAudio(held.packet) }
    }

    /// The input ended or switched: what is buffered becomes the last part of a last segment.
    private func finishSession() {
        guard !renditions.isEmpty, !wasAbandoned else { return }
        do {
            try decode(nil)
            try deinterlacer.filter(nil) { try encode($0) }
            for rendition in renditions { try rendition.drain() }
            for held in heldAudio { try writeAudio(held.packet) }
            heldAudio = []
            try cut(nil)
        } catch {
            logger.warning("transcoder: the session's last part was lost", metadata: ["error": "\(error)"])
            emit(.segmentEnded(renditions.map(\.target.name)))
        }
    }

    /// A live input whose packets wait longer than `lagLimit` in the queue loses its most expensive ladder
    /// rung (the largest), at most once per `lagLimit`. An encoded source, the picture every player takes, is
    /// dropped last and only three times as far behind: a busy moment should cost latency, not the picture.
    private func dropIfBehind(queuedAt: UInt64) {
        guard !waitForEncoder else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        let lag = Double(now - queuedAt) / 1e9
        guard lag > lagLimit, Double(now - lastDrop) / 1e9 > lagLimit else { return }
        let rungs = renditions.indices.filter { renditions[$0].target.name != Rendition.source }
        let victim = rungs.max { renditions[$0].target.width * renditions[$0].target.height < renditions[$1].target.width * renditions[$1].target.height }
        guard let index = victim ?? (lag > lagLimit * 3 ? renditions.indices.first : nil) else { return }
        let dropped = renditions.remove(at: index)
        lastDrop = now
        let reason = String(format: "its encoder fell %.1f s behind real time", lag)
        logger.warning("rendition dropped: \(reason)", metadata: ["rendition": "\(dropped.target.name)", "left": "\(renditions.map(\.target.name))"])
        emit(.renditionDropped(dropped.target.name, reason: reason))
    }
}
