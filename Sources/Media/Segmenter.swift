import CFFmpeg
import Foundation
import Logging
import NIOCore

/// Turns one session's packets into fMP4 parts and segments for each rendition: copied tracks are remuxed
/// here, on the ingest thread; audio that needs it is transcoded here too; video that needs encoding (a
/// source no player takes, the ladder) goes to a `VideoTranscoder` thread with the cut points chosen here.
final class Segmenter {
    /// Part and segment targets, and which renditions to make.
    struct Settings: Sendable {
        var partTarget: Double
        var segmentTarget: Double
        var audioRendition: Bool
        var ladder: [LadderRung] = []
        var maxAudioTracks = 4
        var encoderPreset = "veryfast"
        /// Bits per second of an encoded `source`; 0 picks one from its height.
        var sourceBitrate = 0
    }

    private let settings: Settings
    private let emit: (MediaEvent) -> Void
    private let logger: Logger
    private var planner: CutPlanner
    private var copies: [(name: String, muxer: FragmentedMuxer)] = []
    private var audioTranscoders: [Int: AudioTranscoder] = [:]
    private var transcoder: VideoTranscoder?
    /// The muxer key of the floor audio (its input index, or `transcodedKey` of it), which encoded renditions carry.
    private var floorKey: Int?
    private var videoStream: Int?
    private var referenceStream = 0
    private var referenceTimeBase = AVRational(num: 1, den: 90_000)
    private var sentFirstBoundary = false
    private var audioErrors = 0
    private var refusedInARow = 0
    /// Maps media time to wall clock: set by the first packet of a session.
    private var anchor: (date: Date, media: Double)?
    /// A cut waiting for the audio to reach it, with the video packets from the one that starts the new part.
    private var held: HeldCut?
    /// pts − dts of the reference stream's last keyframe (B-frames), seconds.
    private var reorderDelay = 0.0
    /// Whether cuts may fall on any frame (the video is only encoded, never copied).
    private var cutsAnywhere = false
    /// End (seconds) of the newest packet written, per audio muxer key.
    private var audioEnd: [Int: Double] = [:]
    private var warnedAudioLag = false

    /// An MPEG-TS multiplex often carries the audio of a moment after its picture (the muxer interleaves by
    /// decode time, and B-frames put video decode time early). Cutting at the video packet would put that
    /// audio into the next part, so its sound starts before its picture: the cut waits, holding the video,
    /// until every audio track has passed the cut's presentation time (at most `holdLimit` of video).
    private struct HeldCut {
        var endingSegment: Bool
        var pts: Double
        var packets: [PacketTimeline.Timed]
        /// Audio already past the cut, from tracks that reached it before the others.
        var audio: [(packet: Packet, key: Int, dts: Double, duration: Double)] = []
    }
    private static let holdLimit = 1.0

    init(settings: Settings, logger: Logger, emit: @escaping (MediaEvent) -> Void) {
        self.settings = settings
        self.emit = emit
        self.logger = logger
        self.planner = CutPlanner(partTarget: settings.partTarget, segmentTarget: settings.segmentTarget)
    }

    /// The muxer key of a transcoded audio track: apart from every input stream index.
    private static func transcodedKey(_ index: Int) -> Int { 1000 + index }

    /// Starts a session on `input`: decides what to copy and what to transcode, makes new muxers (a new
    /// initialization section, a discontinuity). `waitForEncoder`: a file read as fast as it goes waits for
    /// the video encoder instead of dropping renditions.
    func begin(input: InputContext, policy: TranscodePolicy, waitForEncoder: Bool) throws {
        planner.reset()
        anchor = nil
        sentFirstBoundary = false
        audioErrors = 0
        refusedInARow = 0
        audioTranscoders = [:]
        transcoder = nil
        held = nil
        audioEnd = [:]
        warnedAudioLag = false
        reorderDelay = 0
        let plan = MediaPlan(policy: policy, video: input.videoStream.map(input.summary), audio: input.audioStreams.map(input.summary),
                             ladder: settings.ladder, maxAudioTracks: settings.maxAudioTracks)
        for track in plan.tracks {
            logger.info("track \(track.index) (\(track.kind.rawValue) \(track.codec)\(track.language.map { ", \($0)" } ?? "")): \(track.action.rawValue)",
                        metadata: ["reason": "\(track.reason)", "output": "\(track.output ?? "-")"])
        }
        guard plan.video != nil || !plan.audio.isEmpty else {
            throw MediaError(.noPlayableStreams, "no track can be copied or decoded: " + plan.tracks.map { "\($0.codec): \($0.reason)" }.joined(separator: "; "))
        }

        var audio: [(input: FragmentedMuxer.Input, track: MediaTrack)] = []
        for decision in plan.audio {
            let index = decision.index
            if decision.action == .transcode {
                // A track whose decoder cannot be set up is left out; the others play.
                let transcoder: AudioTranscoder
                do { transcoder = try AudioTranscoder(stream: input.stream(index)) } catch {
                    logger.error("track \(index) cannot be transcoded; it is left out", metadata: ["error": "\(error)"])
                    continue
                }
                audioTranscoders[index] = transcoder
                var track = MediaTrack(kind: .audio, codecName: "aac", codecString: CodecString.make(transcoder.encoder.parameters))
                track.sampleRate = 48_000
                track.channels = Int(transcoder.encoder.context.pointee.ch_layout.nb_channels)
                track.bitRate = Int(transcoder.encoder.context.pointee.bit_rate)
                track.language = decision.language
                audio.append((.init(key: Self.transcodedKey(index), parameters: transcoder.encoder.parameters, timeBase: transcoder.outputTimeBase, language: decision.language), track))
            } else {
                audio.append((.init(key: index, parameters: input.stream(index).pointee.codecpar, timeBase: input.timeBase(index), language: decision.language), input.track(index)))
            }
        }
        let floor = audio.first
        floorKey = floor?.input.key
        var made: [(String, FragmentedMuxer)] = []
        var layouts: [RenditionLayout] = []
        func add(_ name: String, _ inputs: [FragmentedMuxer.Input], reference: Int, tracks: [MediaTrack], alternate: Bool = false) throws {
            made.append((name, try FragmentedMuxer(streams: inputs, referenceStream: reference)))
            let transcoded = inputs.contains { $0.key >= 1000 }
            layouts.append(RenditionLayout(name: name, tracks: tracks, isAlternateAudio: alternate, transcoded: transcoded))
        }
        videoStream = plan.video?.index
        cutsAnywhere = plan.video?.action == .transcode
        if let video = plan.video {
            referenceStream = video.index
            if video.action == .copy || video.action == .copyAndTranscode {
                let copied = FragmentedMuxer.Input(key: video.index, parameters: input.stream(video.index).pointee.codecpar, timeBase: input.timeBase(video.index), language: nil)
                try add(video.action == .copy ? Rendition.source : Rendition.hevc, [copied] + (floor.map { [$0.input] } ?? []),
                        reference: video.index, tracks: [input.track(video.index)] + (floor.map { [$0.track] } ?? []))
            }
            if plan.decodesVideo {
                do {
                    let transcoder = try VideoTranscoder(
                        input: input, stream: video.index, targets: targets(input, plan, video.index), preset: settings.encoderPreset,
                        floorAudio: floor?.input, floorTrack: floor?.track, segmentTarget: settings.segmentTarget,
                        waitForEncoder: waitForEncoder, emit: emit, logger: logger
                    )
                    self.transcoder = transcoder
                    layouts.insert(contentsOf: transcoder.layouts, at: plan.encodesSource ? 0 : layouts.count)
                } catch {
                    // The channel serves what it can: the copied renditions, the audio.
                    logger.error("the video cannot be transcoded; its encoded renditions are left out", metadata: ["error": "\(error)"])
                }
            }
        } else if let floor {
            referenceStream = plan.audio[0].index
            try add(Rendition.source, [floor.input], reference: floor.input.key, tracks: [floor.track])
        }
        referenceTimeBase = input.timeBase(referenceStream)
        if settings.audioRendition, let floor {
            try add(Rendition.audio, [floor.input], reference: floor.input.key, tracks: [floor.track])
        }
        for (position, track) in audio.enumerated().dropFirst() {
            try add(Rendition.audio(position), [track.input], reference: track.input.key, tracks: [track.track], alternate: true)
        }
        copies = made
        emit(.sessionStarted(plan: plan, renditions: layouts))
        transcoder?.start()
    }

    /// What the video transcoder encodes: the source (when it cannot be copied) at its own size, then each
    /// ladder rung at its height, as wide as the source's display aspect ratio makes it.
    private func targets(_ input: InputContext, _ plan: MediaPlan, _ index: Int) -> [EncodedRendition.Target] {
        let par = input.stream(index).pointee.codecpar.pointee
        let (width, height) = (Int(par.width), Int(par.height))
        let sar = par.sample_aspect_ratio.num > 0 && par.sample_aspect_ratio.den > 0 ? av_q2d(par.sample_aspect_ratio) : 1
        let aspect = height > 0 ? Double(width) * sar / Double(height) : 16.0 / 9
        func even(_ value: Double) -> Int32 { Int32(max(2, (value / 2).rounded() * 2)) }
        var targets: [EncodedRendition.Target] = []
        if plan.encodesSource {
            let bitrate = settings.sourceBitrate > 0 ? settings.sourceBitrate : Self.bitrate(height: height)
            targets.append(.init(name: Rendition.source, width: even(Double(width)), height: even(Double(height)), squarePixels: false, bitrate: bitrate))
        }
        for rung in plan.ladder {
            targets.append(.init(name: rung.name, width: even(Double(rung.height) * aspect), height: even(Double(rung.height)), squarePixels: true, bitrate: rung.bitrate))
        }
        return targets
    }

    /// A bit rate for an encoded source of `height` lines: broadcast-like quality at the veryfast preset.
    static func bitrate(height: Int) -> Int {
        switch height {
        case 1000...: 5_000_000
        case 700...: 3_000_000
        case 560...: 2_000_000
        default: 1_200_000
        }
    }

    /// Ties the session's media time to the wall clock: `media` (seconds on the output timeline) was
    /// captured at `date`. Without it the first packet written counts as captured now.
    func anchorClock(date: Date, media: Double) {
        if anchor == nil { anchor = (date, media) }
    }

    private func wallClock(_ media: Double) -> Date {
        anchor.map { $0.date.addingTimeInterval(media - $0.media) } ?? Date()
    }

    /// Muxes one packet, cutting a part or a segment before it when its timing says so.
    func write(_ timed: PacketTimeline.Timed) throws {
        if anchor == nil { anchor = (Date(), timed.dts) }
        let index = timed.packet.streamIndex
        if index == videoStream {
            if held != nil {
                held!.packets.append(copied(timed))
                if let first = held!.packets.first, timed.dts - first.dts > Self.holdLimit {
                    if !warnedAudioLag {
                        warnedAudioLag = true
                        logger.warning("the input's audio lags its picture by more than \(Self.holdLimit) s; parts are cut without waiting for it")
                    }
                    try release()
                }
                return
            }
            try writeVideo(timed, decided: false)
            return
        }
        if index == referenceStream, let decision = decide(timed) {
            try cut(endingSegment: decision == .segment, before: timed, pts: presentation(timed))
        }
        if let audioTranscoder = audioTranscoders[index] {
            do {
                try transcodeAudio(audioTranscoder, index: index, timed.packet)
                refusedInARow = 0
            } catch let error as MediaError where error.code == .invalidData {
                audioErrors += 1
                refusedInARow += 1
                // Seconds of refused packets is no corrupt GOP: the feed changed codec behind the same PIDs.
                if refusedInARow > 100 { throw MediaError(.streamsChanged, "the audio decoder refused \(refusedInARow) packets in a row") }
                if audioErrors == 1 || audioErrors % 100 == 0 {
                    logger.warning("audio decoder refused packets (corrupt input?)", metadata: ["stream": "\(index)", "count": "\(audioErrors)", "error": "\(error)"])
                }
            }
        } else {
            try writeAudio(timed.packet, key: index, dts: timed.dts, duration: timed.duration)
        }
    }

    /// The planner's decision for a reference packet (and the transcoder's first cut point).
    private func decide(_ timed: PacketTimeline.Timed) -> CutPlanner.Cut? {
        if !sentFirstBoundary {
            sentFirstBoundary = true
            send(.boundary(.init(kind: .first, pts: presentation(timed), programDateTime: wallClock(presentation(timed)))))
        }
        if timed.packet.isKeyframe {
            let raw = timed.packet.pointer.pointee
            reorderDelay = raw.pts == cffmpeg_nopts_value() ? 0 : Double(raw.pts - raw.dts) * av_q2d(referenceTimeBase)
        }
        // A source that is only encoded (no copy of its video) can be cut at any frame: the encoders put an
        // IDR there, so segments last the target, not the source's GOP rounded up.
        let decision = planner.decide(dts: timed.dts, duration: timed.duration, isKeyframe: timed.packet.isKeyframe || cutsAnywhere)
        return decision == .none ? nil : decision
    }

    /// The presentation time a cut before `timed` stands for: its decode time plus the stream's reorder delay
    /// (measured at the last keyframe). A packet's own pts would not do: with B-frames, the packets of a GOP
    /// are shown out of their decode order, and cut points would jitter by frames.
    private func presentation(_ timed: PacketTimeline.Timed) -> Double {
        timed.dts + reorderDelay
    }

    /// A video packet: the cut it calls for (now, or once the audio has caught up), then the copies and the transcoder.
    private func writeVideo(_ timed: PacketTimeline.Timed, decided: Bool) throws {
        if !decided, timed.packet.streamIndex == referenceStream, let decision = decide(timed) {
            let pts = presentation(timed)
            if audioBehind(pts) {
                held = HeldCut(endingSegment: decision == .segment, pts: pts, packets: [copied(timed)])
                return
            }
            try cut(endingSegment: decision == .segment, before: timed, pts: pts)
        }
        for entry in copies where entry.muxer.handles(stream: timed.packet.streamIndex) {
            try entry.muxer.write(timed.packet, dts: timed.dts, duration: timed.duration)
        }
        if transcoder != nil { send(.video(reference(timed.packet), queuedAt: DispatchTime.now().uptimeNanoseconds)) }
    }

    /// Whether an audio track still has to reach `pts` (tracks silent for two seconds are not waited for).
    private func audioBehind(_ pts: Double) -> Bool {
        audioEnd.values.contains { $0 < pts - 0.001 && $0 > pts - 2 }
    }

    /// Makes the held cut, then writes the held video (which may call for, and hold, the next cut).
    private func release() throws {
        guard let cut = held else { return }
        held = nil
        try self.cut(endingSegment: cut.endingSegment, before: cut.packets[0], pts: cut.pts)
        try writeVideo(cut.packets[0], decided: true)
        for timed in cut.packets.dropFirst() {
            if held != nil { held!.packets.append(timed) } else { try writeVideo(timed, decided: false) }
        }
        for audio in cut.audio { try writeAudio(audio.packet, key: audio.key, dts: audio.dts, duration: audio.duration) }
    }

    private func copied(_ timed: PacketTimeline.Timed) -> PacketTimeline.Timed {
        PacketTimeline.Timed(packet: reference(timed.packet), dts: timed.dts, duration: timed.duration)
    }

    /// Transcodes one packet of audio track `index` (nil: drains it) and writes the AAC packets out.
    private func transcodeAudio(_ audioTranscoder: AudioTranscoder, index: Int, _ packet: Packet?) throws {
        let key = Self.transcodedKey(index)
        let seconds = av_q2d(audioTranscoder.outputTimeBase)
        try audioTranscoder.transcode(packet) { packet in
            packet.pointer.pointee.stream_index = Int32(key)
            try writeAudio(packet, key: key, dts: Double(packet.pointer.pointee.dts) * seconds, duration: Double(packet.pointer.pointee.duration) * seconds)
        }
    }

    private func writeAudio(_ packet: Packet, key: Int, dts: Double, duration: Double) throws {
        // Audio of the new part waits with its cut until every track has reached it; audio before it goes in now.
        if let cut = held, dts >= cut.pts - 0.001 {
            held!.audio.append((reference(packet), key, dts, duration))
            audioEnd[key] = max(audioEnd[key] ?? 0, dts + duration)
            if !audioBehind(cut.pts) { try release() }
            return
        }
        for entry in copies where entry.muxer.handles(stream: key) {
            try entry.muxer.write(packet, dts: dts, duration: duration)
        }
        if key == floorKey, transcoder != nil { send(.audio(reference(packet), dts: dts)) }
        audioEnd[key] = max(audioEnd[key] ?? 0, dts + duration)
        if let cut = held, !audioBehind(cut.pts) { try release() }
    }

    private func reference(_ packet: Packet) -> Packet {
        let copy = Packet()
        av_packet_ref(copy.pointer, packet.pointer)
        return copy
    }

    /// Hands work to the video transcoder. A live input whose transcoder fell so far behind that its queue
    /// is full loses the encoded renditions for the rest of the session; the copied ones go on.
    private func send(_ work: VideoTranscoder.Work) {
        guard let transcoder, !transcoder.send(work) else { return }
        logger.error("video encoding fell too far behind real time; its renditions stop for this session", metadata: ["renditions": "\(transcoder.layouts.map(\.name))"])
        for layout in transcoder.layouts { emit(.renditionDropped(layout.name, reason: "the video encoder fell too far behind real time")) }
        transcoder.abandon()
        self.transcoder = nil
    }

    /// Ends the session: what is buffered becomes the last part of a last (possibly short) segment.
    func end() {
        defer {
            copies = []
            audioTranscoders = [:]
            transcoder = nil
            held = nil
        }
        try? release()
        for (index, audioTranscoder) in audioTranscoders { try? transcodeAudio(audioTranscoder, index: index, nil) }
        if !copies.isEmpty {
            do { try cut(endingSegment: true, before: nil, pts: 0) } catch { emit(.segmentEnded(copies.map(\.name))) }
        }
        transcoder?.finish()
    }

    private func cut(endingSegment: Bool, before timed: PacketTimeline.Timed?, pts: Double) throws {
        for entry in copies {
            let hadInitialization = entry.muxer.initialization != nil
            guard let fragment = try entry.muxer.flushFragment() else { continue }
            if !hadInitialization, let initialization = entry.muxer.initialization {
                emit(.initialization(entry.name, bytes: initialization))
            }
            emit(.part(entry.name, MediaPart(
                bytes: fragment.bytes, duration: fragment.duration,
                independent: fragment.independent, programDateTime: wallClock(fragment.presentation), mediaTime: fragment.start
            )))
        }
        if endingSegment { emit(.segmentEnded(copies.map(\.name))) }
        if timed != nil {
            send(.boundary(.init(kind: endingSegment ? .segment : .part, pts: pts, programDateTime: wallClock(pts))))
        }
    }
}
