/// Decides where parts and segments end, from the timing of the reference track (video when present).
/// Pure: tested without FFmpeg.
struct CutPlanner {
    enum Cut: Equatable { case none, part, segment }

    /// Longest part, seconds (LL-HLS `PART-TARGET`); a part never exceeds it.
    let partTarget: Double
    /// Shortest segment, seconds; a segment ends at the first keyframe after this much media.
    let segmentTarget: Double
    private var partStart: Double?
    private var segmentStart: Double?
    /// The previous segment's length: parts are spread evenly over a segment of that length, so a
    /// 2 s segment becomes 5 × 0.4 s rather than 4 × 0.48 s and a 0.08 s scrap.
    private var expectedSegment: Double?
    private static let slack = 0.001

    init(partTarget: Double, segmentTarget: Double) {
        self.partTarget = partTarget
        self.segmentTarget = segmentTarget
    }

    /// The part length in use for frames of `frame` seconds: the part target, or, once a segment's length is
    /// known, the fewest parts under the target that divide it evenly in whole frames.
    func partLength(frame: Double) -> Double {
        guard let expectedSegment, frame > 0 else { return partTarget }
        let framesPerPartMax = max(1, ((partTarget + Self.slack) / frame).rounded(.down))
        let framesPerSegment = max(1, (expectedSegment / frame).rounded())
        let parts = (framesPerSegment / framesPerPartMax).rounded(.up)
        return (framesPerSegment / parts).rounded(.up) * frame
    }

    /// Called before a reference packet is written: where to cut before it.
    mutating func decide(dts: Double, duration: Double, isKeyframe: Bool) -> Cut {
        guard let segmentStart, let partStart else {
            self.segmentStart = dts
            self.partStart = dts
            return .none
        }
        if isKeyframe && dts - segmentStart >= segmentTarget - Self.slack {
            expectedSegment = dts - segmentStart
            self.segmentStart = dts
            self.partStart = dts
            return .segment
        }
        if dts + duration - partStart > partLength(frame: duration) + Self.slack && dts > partStart {
            self.partStart = dts
            return .part
        }
        return .none
    }

    /// Forgets the open part and segment (a new session starts).
    mutating func reset() {
        partStart = nil
        segmentStart = nil
        expectedSegment = nil
    }
}
