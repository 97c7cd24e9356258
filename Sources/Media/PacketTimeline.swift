import CFFmpeg
import Foundation

/// Puts an input's packets on one continuous output timeline:
/// - drops everything before the first video keyframe, so each session starts decodable;
/// - shifts timestamps by an offset so they never go back across a loop or a reconnect;
/// - notices when the reference stream's timestamps jump (a source restarted behind a connection that
///   stayed up, as a UDP feed does), so the ingest starts a new session instead of muxing time backwards;
/// - holds one packet per stream to learn its duration from the next one (MPEG-TS often leaves it 0),
///   which the fMP4 muxer needs for the last sample of every fragment.
final class PacketTimeline {
    /// A packet ready to mux, with its timing in seconds on the output timeline.
    struct Timed {
        let packet: Packet
        let dts: Double
        let duration: Double
    }

    private let input: InputContext
    private let streams: Set<Int>
    private var offsetMicros: Int64
    private var waitingForKeyframe: Bool
    private var held: [Int: Packet] = [:]
    private var lastDuration: [Int: Int64] = [:]
    private var firstRawMicros: Int64?
    /// The reference stream's previous timestamp (microseconds, input timeline), to notice jumps.
    private var lastReferenceMicros: Int64?
    /// A jump back by more than this, or forward by more than `forwardJump`, is a new source.
    static let backwardJump: Int64 = 1_000_000
    static let forwardJump: Int64 = 30_000_000
    /// The first timestamp read in the session, dropped or not (microseconds, input timeline).
    private var firstSeenRawMicros: Int64?
    private var spare: [Packet] = []
    /// End of the latest packet released, microseconds on the output timeline.
    private(set) var endMicros: Int64 = 0

    /// Seconds the reference stream may go without a packet while other streams flow: past that, the
    /// demuxer no longer understands it (the feed changed codec behind the same PIDs).
    private let stallLimit: Double
    private var lastReferenceAt = DispatchTime.now().uptimeNanoseconds

    /// `startMicros`: where this session begins on the output timeline.
    init(input: InputContext, startMicros: Int64, stallLimit: Double = 5) {
        self.input = input
        self.stallLimit = stallLimit
        self.streams = Set([input.videoStream].compactMap { $0 } + input.audioStreams)
        self.offsetMicros = startMicros
        self.waitingForKeyframe = input.videoStream != nil
        self.endMicros = startMicros
    }

    /// A packet object to read into; hand it back with `push` or `recycle`.
    func freshPacket() -> Packet { spare.popLast() ?? Packet() }

    func recycle(_ packet: Packet) {
        packet.unref()
        spare.append(packet)
    }

    /// Takes a packet just read. Returns the packet released by it, if any (recycle it after use).
    /// Throws `timestampJump` when the source's clock jumped (the packet is recycled).
    func push(_ packet: Packet) throws -> Timed? {
        let index = packet.streamIndex
        let raw = packet.pointer.pointee
        if index >= input.openedStreamCount, [AVMEDIA_TYPE_VIDEO, AVMEDIA_TYPE_AUDIO].contains(input.stream(index).pointee.codecpar.pointee.codec_type) {
            let codec = String(cString: avcodec_get_name(input.stream(index).pointee.codecpar.pointee.codec_id))
            recycle(packet)
            throw MediaError(.streamsChanged, "a new \(codec) stream appeared (stream \(index))")
        }
        guard streams.contains(index), raw.dts != cffmpeg_nopts_value() || raw.pts != cffmpeg_nopts_value() else {
            recycle(packet)
            return nil
        }
        let now = DispatchTime.now().uptimeNanoseconds
        if index != (input.videoStream ?? input.audioStream), Double(now - lastReferenceAt) / 1e9 > stallLimit {
            recycle(packet)
            throw MediaError(.streamsChanged, "no packet of the \(input.videoStream == nil ? "audio" : "video") stream for \(Int(stallLimit)) s while the others flow")
        }
        if index == (input.videoStream ?? input.audioStream) {
            lastReferenceAt = now
            let micros = av_rescale_q(raw.dts != cffmpeg_nopts_value() ? raw.dts : raw.pts, input.timeBase(index), cffmpeg_time_base_q())
            if let last = lastReferenceMicros, micros < last - Self.backwardJump || micros > last + Self.forwardJump {
                recycle(packet)
                throw MediaError(.timestampJump, "timestamps jumped from \(Double(last) / 1e6) s to \(Double(micros) / 1e6) s")
            }
            lastReferenceMicros = micros
        }
        if firstSeenRawMicros == nil {
            firstSeenRawMicros = av_rescale_q(raw.dts != cffmpeg_nopts_value() ? raw.dts : raw.pts, input.timeBase(index), cffmpeg_time_base_q())
        }
        if waitingForKeyframe {
            guard index == input.videoStream, packet.isKeyframe else { recycle(packet); return nil }
            waitingForKeyframe = false
        }
        if raw.dts == cffmpeg_nopts_value() { packet.pointer.pointee.dts = raw.pts }
        if raw.pts == cffmpeg_nopts_value() { packet.pointer.pointee.pts = packet.pointer.pointee.dts }
        let timeBase = input.timeBase(index)
        if firstRawMicros == nil {
            // The first packet of the session lands on `startMicros`.
            let first = av_rescale_q(packet.pointer.pointee.dts, timeBase, cffmpeg_time_base_q())
            firstRawMicros = first
            offsetMicros -= first
        }
        let shift = av_rescale_q(offsetMicros, cffmpeg_time_base_q(), timeBase)
        packet.pointer.pointee.dts += shift
        packet.pointer.pointee.pts += shift

        let previous = held[index]
        held[index] = packet
        guard let previous else { return nil }
        let gap = packet.pointer.pointee.dts - previous.pointer.pointee.dts
        if gap > 0 && (previous.pointer.pointee.duration <= 0 || gap < previous.pointer.pointee.duration * 4) {
            previous.pointer.pointee.duration = gap
        }
        return timed(previous)
    }

    /// Where the session's first packet read (kept or dropped while waiting for a keyframe) falls on the
    /// output timeline, in seconds; nil before the first packet is kept. The input's first bytes carried
    /// it, so it anchors the wall clock.
    var firstSeenSeconds: Double? {
        guard firstRawMicros != nil, let seen = firstSeenRawMicros else { return nil }
        return Double(seen + offsetMicros) / 1e6
    }

    /// Releases the packets still held (end of input or of a loop pass).
    func drain() -> [Timed] {
        let packets = held.values.sorted { $0.pointer.pointee.dts < $1.pointer.pointee.dts }
        held.removeAll()
        return packets.map(timed)
    }

    /// After `drain()` at the end of a looping file: the next pass continues where this one ended.
    func continueAfterLoop() {
        guard let first = firstRawMicros else { return }
        offsetMicros = endMicros - first
        waitingForKeyframe = input.videoStream != nil
        lastReferenceMicros = nil
    }

    private func timed(_ packet: Packet) -> Timed {
        let index = packet.streamIndex
        let timeBase = input.timeBase(index)
        if packet.pointer.pointee.duration <= 0 { packet.pointer.pointee.duration = lastDuration[index] ?? 0 }
        lastDuration[index] = packet.pointer.pointee.duration
        let seconds = av_q2d(timeBase)
        let dts = Double(packet.pointer.pointee.dts) * seconds
        let duration = Double(packet.pointer.pointee.duration) * seconds
        let end = av_rescale_q(packet.pointer.pointee.dts + packet.pointer.pointee.duration, timeBase, cffmpeg_time_base_q())
        endMicros = max(endMicros, end)
        return Timed(packet: packet, dts: dts, duration: duration)
    }
}
