import Testing
@testable import Media

@Suite("CutPlanner")
struct CutPlannerTests {
    /// Feeds `seconds` of 25 fps video with a keyframe every `gop` frames; returns the parts per segment.
    private func plan(partTarget: Double, segmentTarget: Double, gop: Int, seconds: Double) -> [[Double]] {
        var planner = CutPlanner(partTarget: partTarget, segmentTarget: segmentTarget)
        let frame = 0.04
        var segments: [[Double]] = [[]]
        var partStart = 0.0
        for index in 0..<Int(seconds / frame) {
            let dts = Double(index) * frame
            switch planner.decide(dts: dts, duration: frame, isKeyframe: index % gop == 0) {
            case .none: break
            case .part:
                segments[segments.count - 1].append(dts - partStart)
                partStart = dts
            case .segment:
                segments[segments.count - 1].append(dts - partStart)
                segments.append([])
                partStart = dts
            }
        }
        return Array(segments.dropLast())  // the last one is still open
    }

    @Test("no part is longer than the part target")
    func partsNeverExceedTarget() {
        for target in [0.2, 0.33, 0.5, 1.0] {
            let parts = plan(partTarget: target, segmentTarget: 4, gop: 50, seconds: 30).flatMap { $0 }
            #expect(!parts.isEmpty)
            #expect(parts.allSatisfy { $0 <= target + 0.0011 }, "target \(target): \(parts.max()!)")
        }
    }

    @Test("segments start on keyframes once the target is reached")
    func segmentsAtKeyframes() {
        // 2 s GOP, 3 s target: every segment waits for the next keyframe, so each lasts 4 s.
        let segments = plan(partTarget: 0.5, segmentTarget: 3, gop: 50, seconds: 30)
        #expect(segments.count >= 5)
        for segment in segments { #expect(abs(segment.reduce(0, +) - 4.0) < 0.001) }
    }

    @Test("parts are spread evenly over a segment of known length (no tiny last part)")
    func evenParts() {
        let segments = plan(partTarget: 0.5, segmentTarget: 2, gop: 50, seconds: 20)
        // The first segment uses the plain target; later ones know the segment length: 5 × 0.4 s.
        for segment in segments.dropFirst() {
            #expect(segment.count == 5)
            #expect(segment.allSatisfy { abs($0 - 0.4) < 0.001 })
        }
    }

    @Test("a third-of-a-second target: 2 s segments at 25 fps are 7 parts of 7 or 8 frames, no scrap")
    func thirdOfASecond() {
        let segments = plan(partTarget: 0.333, segmentTarget: 2, gop: 25, seconds: 20)
        for segment in segments.dropFirst() {
            #expect(segment.count == 7, "\(segment)")
            #expect(segment.allSatisfy { $0 >= 0.279 && $0 <= 0.321 }, "\(segment)")
        }
    }

    @Test("reset forgets the open segment")
    func reset() {
        var planner = CutPlanner(partTarget: 0.5, segmentTarget: 2)
        #expect(planner.decide(dts: 0, duration: 0.04, isKeyframe: true) == .none)
        #expect(planner.decide(dts: 2.0, duration: 0.04, isKeyframe: true) == .segment)
        planner.reset()
        #expect(planner.decide(dts: 100, duration: 0.04, isKeyframe: true) == .none)
    }
}
