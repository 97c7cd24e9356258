import Foundation
import NIOCore
import Testing
@testable import HLS

@Suite("RenditionTimeline")
struct RenditionTimelineTests {
    static func timeline(segments: Int, partsEach: Int = 4, openParts: Int = 0) -> RenditionTimeline {
        var timeline = RenditionTimeline(name: "source", firstMsn: 0)
        timeline.startGeneration(0, discontinuity: false)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for segment in 0..<segments {
            for part in 0..<partsEach {
                timeline.append(duration: 0.5, independent: part == 0, programDateTime: start.addingTimeInterval(Double(segment * partsEach + part) * 0.5), bytes: ByteBuffer(string: "\(segment).\(part)"))
            }
            _ = timeline.closeSegment()
        }
        for part in 0..<openParts {
            timeline.append(duration: 0.5, independent: part == 0, programDateTime: start, bytes: ByteBuffer(string: "open.\(part)"))
        }
        return timeline
    }

    @Test("blocking requests are satisfied by existing parts and segments only")
    func satisfaction() {
        let timeline = Self.timeline(segments: 3, openParts: 2)  // segments 0–2 closed, 3 open with parts 0–1
        #expect(timeline.isSatisfied(BlockingRequest(msn: 2)))
        #expect(!timeline.isSatisfied(BlockingRequest(msn: 3)))
        #expect(timeline.isSatisfied(BlockingRequest(msn: 3, part: 1)))
        #expect(!timeline.isSatisfied(BlockingRequest(msn: 3, part: 2)))
        // Past the last part of a closed segment means part 0 of the next one, which exists.
        #expect(timeline.isSatisfied(BlockingRequest(msn: 2, part: 9)))
        #expect(timeline.nextPart == (3, 2))
        #expect(timeline.latestPart! == (3, 1))
    }

    @Test("requests more than two segments past the newest complete one are too far ahead")
    func tooFarAhead() {
        let timeline = Self.timeline(segments: 3)
        #expect(timeline.latestCompleteMsn == 2)
        #expect(!timeline.isTooFarAhead(BlockingRequest(msn: 4)))
        #expect(timeline.isTooFarAhead(BlockingRequest(msn: 5)))
    }

    @Test("closing concatenates parts; eviction keeps segments but drops old part bytes")
    func closeAndEvict() {
        var timeline = Self.timeline(segments: 6)
        #expect(timeline.segment(0)?.bytes == ByteBuffer(string: "0.00.10.20.3"))
        timeline.evict(keepSegments: 4, keepParts: 2)
        #expect(timeline.segments.map(\.msn) == [2, 3, 4, 5])
        #expect(timeline.part(msn: 3, index: 0) == nil)
        #expect(timeline.part(msn: 5, index: 3) == ByteBuffer(string: "5.3"))
        #expect(timeline.segment(1) == nil)
    }

    @Test("a new generation closes the open segment and marks the next one discontinuous")
    func discontinuity() {
        var timeline = Self.timeline(segments: 1, openParts: 2)
        timeline.startGeneration(1, discontinuity: true)
        #expect(timeline.segments.count == 2)
        timeline.append(duration: 0.5, independent: true, programDateTime: Date(), bytes: ByteBuffer(string: "x"))
        #expect(timeline.open?.discontinuity == true)
        #expect(timeline.open?.initGeneration == 1)
        #expect(timeline.open?.msn == 2)
    }
}
