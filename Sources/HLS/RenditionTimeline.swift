import Foundation
import NIOCore

/// The segments of one rendition: the one being built, the closed ones still in memory, and the
/// initialization sections by generation. Pure state; `SegmentStore` does the I/O and the waiting.
public struct RenditionTimeline: Sendable {
    public let name: String
    /// Closed segments still held in memory, oldest first.
    public private(set) var segments: [MediaSegment] = []
    /// The segment whose parts are arriving.
    public private(set) var open: MediaSegment?
    /// The msn the next segment gets.
    public private(set) var nextMsn: Int
    public private(set) var initializations: [Int: ByteBuffer] = [:]
    public private(set) var currentGeneration: Int = -1
    /// Discontinuities of segments already dropped from memory (for `EXT-X-DISCONTINUITY-SEQUENCE`).
    public private(set) var droppedDiscontinuities = 0
    private var pendingDiscontinuity = false

    public init(name: String, firstMsn: Int) {
        self.name = name
        self.nextMsn = firstMsn
    }

    /// A new input session: following segments decode with `generation` and start with a discontinuity
    /// when anything came before.
    public mutating func startGeneration(_ generation: Int, discontinuity: Bool) {
        _ = closeSegment()
        currentGeneration = generation
        pendingDiscontinuity = discontinuity
    }

    /// Moves the next segment's number up to `msn` (a rendition that missed segments, because it was
    /// dropped or absent, rejoins the others' numbering at a new session).
    public mutating func skip(to msn: Int) {
        if open == nil && nextMsn < msn { nextMsn = msn }
    }

    public mutating func setInitialization(_ bytes: ByteBuffer, generation: Int) {
        initializations[generation] = bytes
    }

    /// Appends a part, opening a segment when none is open.
    public mutating func append(duration: Double, independent: Bool, programDateTime: Date, mediaTime: Double = 0, bytes: ByteBuffer) {
        if open == nil {
            open = MediaSegment(
                msn: nextMsn, programDateTime: programDateTime, mediaStart: mediaTime, discontinuity: pendingDiscontinuity,
                initGeneration: currentGeneration
            )
            nextMsn += 1
            pendingDiscontinuity = false
        }
        let index = open!.parts.count
        open!.parts.append(PartialSegment(index: index, duration: duration, independent: independent, bytes: bytes, cutAt: DispatchTime.now().uptimeNanoseconds))
    }

    /// Closes the open segment; returns it (with its bytes) for writing to disk.
    public mutating func closeSegment() -> MediaSegment? {
        guard var segment = open else { return nil }
        open = nil
        var whole = ByteBuffer()
        whole.reserveCapacity(segment.parts.reduce(0) { $0 + ($1.bytes?.readableBytes ?? 0) })
        for part in segment.parts { if var bytes = part.bytes { whole.writeBuffer(&bytes) } }
        segment.bytes = whole
        segment.isComplete = true
        segments.append(segment)
        return segment
    }

    /// Keeps `keepSegments` closed segments in memory and part bytes only for the newest `keepParts`.
    public mutating func evict(keepSegments: Int, keepParts: Int) {
        while segments.count > keepSegments {
            if segments.removeFirst().discontinuity { droppedDiscontinuities += 1 }
        }
        for index in segments.indices.dropLast(keepParts) where segments[index].parts.first?.bytes != nil {
            for part in segments[index].parts.indices { segments[index].parts[part].bytes = nil }
        }
        let generations = Set(segments.map(\.initGeneration) + [currentGeneration])
        initializations = initializations.filter { generations.contains($0.key) }
    }

    /// The msn of the newest closed segment, -1 before any.
    public var latestCompleteMsn: Int { (open?.msn ?? nextMsn) - 1 }

    /// The newest part available: (msn, part index).
    public var latestPart: (msn: Int, part: Int)? {
        if let open, !open.parts.isEmpty { return (open.msn, open.parts.count - 1) }
        if let last = segments.last { return (last.msn, last.parts.count - 1) }
        return nil
    }

    /// Milliseconds since the newest part was cut.
    public var newestPartAge: Double? {
        guard let latest = latestPart, let cut = segment(latest.msn)?.parts[latest.part].cutAt, cut > 0 else { return nil }
        return Double(DispatchTime.now().uptimeNanoseconds - cut) / 1e6
    }

    /// The part a client should preload next (`EXT-X-PRELOAD-HINT`).
    public var nextPart: (msn: Int, part: Int) {
        if let open { return (open.msn, open.parts.count) }
        return (nextMsn, 0)
    }

    /// Whether the playlist already answers a blocking request.
    public func isSatisfied(_ request: BlockingRequest) -> Bool {
        if request.msn <= latestCompleteMsn {
            guard let part = request.part else { return true }
            let count = segment(request.msn)?.parts.count ?? Int.max
            // A part index past the segment's last part means part 0 of the next segment.
            return part < count || isSatisfied(BlockingRequest(msn: request.msn + 1, part: 0))
        }
        guard let open, request.msn == open.msn, let part = request.part else { return false }
        return part < open.parts.count
    }

    /// The protocol lets a server refuse requests more than two segments past the newest complete one.
    public func isTooFarAhead(_ request: BlockingRequest) -> Bool {
        request.msn > latestCompleteMsn + 2
    }

    public func segment(_ msn: Int) -> MediaSegment? {
        if let open, open.msn == msn { return open }
        guard let first = segments.first, msn >= first.msn, msn - first.msn < segments.count else { return nil }
        return segments[msn - first.msn]
    }

    /// The bytes of a part still in memory.
    public func part(msn: Int, index: Int) -> ByteBuffer? {
        guard let segment = segment(msn), index >= 0, index < segment.parts.count else { return nil }
        return segment.parts[index].bytes
    }
}
