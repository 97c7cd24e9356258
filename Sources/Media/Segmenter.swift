import Foundation

/// Remuxes one session's packets into fMP4 parts and segments for each rendition, without re-encoding.
/// Lives on the ingest thread.
final class Segmenter {
    /// Part and segment targets, and which renditions to make.
    struct Settings: Sendable {
        var partTarget: Double
        var segmentTarget: Double
        var audioRendition: Bool
    }

    private let settings: Settings
    private let emit: (MediaEvent) -> Void
    private var planner: CutPlanner
    private var muxers: [(rendition: Rendition, muxer: FragmentedMuxer)] = []
    private var referenceStream = 0
    /// Maps media time to wall clock: set by the first packet of a session.
    private var anchor: (date: Date, media: Double)?

    init(settings: Settings, emit: @escaping (MediaEvent) -> Void) {
        self.settings = settings
        self.emit = emit
        self.planner = CutPlanner(partTarget: settings.partTarget, segmentTarget: settings.segmentTarget)
    }

    /// Starts a session on `input`: new muxers, a new initialization section, a discontinuity.
    func begin(input: InputContext) throws {
        planner.reset()
        anchor = nil
        let video = input.videoStream, audio = input.audioStream
        referenceStream = video ?? audio!
        var made: [(Rendition, FragmentedMuxer)] = []
        made.append((.source, try FragmentedMuxer(input: input, streams: [video, audio].compactMap { $0 }, referenceStream: referenceStream)))
        if settings.audioRendition, let audio {
            made.append((.audio, try FragmentedMuxer(input: input, streams: [audio], referenceStream: audio)))
        }
        muxers = made
        emit(.sessionStarted(tracks: [video, audio].compactMap { $0 }.map(input.track)))
    }

    /// Ties the session's media time to the wall clock: `media` (seconds on the output timeline) was
    /// captured at `date`. Without it the first packet written counts as captured now.
    func anchorClock(date: Date, media: Double) {
        if anchor == nil { anchor = (date, media) }
    }

    /// Muxes one packet, cutting a part or a segment before it when its timing says so.
    func write(_ timed: PacketTimeline.Timed) throws {
        if anchor == nil { anchor = (Date(), timed.dts) }
        if timed.packet.streamIndex == referenceStream {
            switch planner.decide(dts: timed.dts, duration: timed.duration, isKeyframe: timed.packet.isKeyframe) {
            case .none: break
            case .part: try cut(endingSegment: false)
            case .segment: try cut(endingSegment: true)
            }
        }
        for entry in muxers where entry.muxer.handles(stream: timed.packet.streamIndex) {
            try entry.muxer.write(timed.packet, dts: timed.dts, duration: timed.duration)
        }
    }

    /// Ends the session: what is buffered becomes the last part of a last (possibly short) segment.
    func end() {
        defer { muxers = [] }
        guard !muxers.isEmpty else { return }
        do { try cut(endingSegment: true) } catch { emit(.segmentEnded) }
    }

    private func cut(endingSegment: Bool) throws {
        for entry in muxers {
            let hadInitialization = entry.muxer.initialization != nil
            guard let fragment = try entry.muxer.flushFragment() else { continue }
            if !hadInitialization, let initialization = entry.muxer.initialization {
                emit(.initialization(entry.rendition, bytes: initialization))
            }
            let wallClock = anchor.map { $0.date.addingTimeInterval(fragment.start - $0.media) } ?? Date()
            emit(.part(entry.rendition, MediaPart(
                bytes: fragment.bytes, duration: fragment.duration,
                independent: fragment.independent, programDateTime: wallClock, mediaTime: fragment.start
            )))
        }
        if endingSegment { emit(.segmentEnded) }
    }
}
