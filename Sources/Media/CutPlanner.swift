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
    /// 2 s segment becomes 5 × 0.4 s rather than 4 × 0.48 s and a 0.08 s scrap (with a 0.5 s target), or
    /// 7 parts of 7–8 frames rather than 6 × 0.32 s and a 0.08 s scrap (0.333 s).
    private var expectedSegment: Double?
    /// Parts cut so far in the open segment.
    private var partsCut = 0
    private static let slack = 0.001

    init(partTarget: Double, segmentTarget: Double) {
        self.partTarget = partTarget
        self.segmentTarget = segmentTarget
    }

    /// How many parts a segment of the expected length gets for frames of `frame` seconds: the fewest whose
    /// whole-frame lengths stay under the target. nil before a segment's length is known.
    func partCount(frame: Double) -> Int? {
        guard let expectedSegment, frame > 0 else { return nil }
        let framesPerPartMax = max(1, ((partTarget + Self.slack) / frame).rounded(.down))
        let framesPerSegment = max(1, (expectedSegment / frame).rounded())
        return Int((framesPerSegment / framesPerPartMax).rounded(.up))
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
            partsCut = 0
            return .segment
        }
        guard dts > partStart else { return .none }
        if let count = partCount(frame: duration), let expectedSegment {
            // Cut at the frame nearest each k/count of the segment, so 50 frames in 7 parts are 7 or 8
            // frames each, never 6 × 8 and a scrap of 2; the target still bounds every part.
            let boundary = segmentStart + expectedSegment * Double(partsCut + 1) / Double(count)
            let overTarget = dts + duration - partStart > partTarget + Self.slack
            if overTarget || (partsCut + 1 < count && dts >= boundary - duration / 2) {
                self.partStart = dts
                partsCut += 1
                return .part
            }
            return .none
        }
        if dts + duration - partStart > partTarget + Self.slack {
            self.partStart = dts
            return .part
        }
        return .none
    }

    /// Forgets the open part and segment (a new session starts).
    mutating func reset() {
        partsCut = 0
        partStart = nil
        segmentStart = nil
        expectedSegment = nil
    }
}
