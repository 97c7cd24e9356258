import Foundation

/// Maps wall-clock times onto a recording made of segments: the recording plays the segments back to
/// back, so time lost to an interruption (a gap in program-date-time) takes no room in it.
public struct RecordingTimeline: Sendable, Equatable {
    public let segments: [RecordedSegment]
    /// Start of each segment in the recording, seconds.
    private let starts: [Double]
    public let duration: Double

    public init(segments: [RecordedSegment]) {
        self.segments = segments
        var starts: [Double] = []
        var total = 0.0
        for segment in segments {
            starts.append(total)
            total += segment.duration
        }
        self.starts = starts
        duration = total
    }

    /// The segments of `all` that overlap `start ..< end` (`end` nil: up to the newest).
    public static func select(_ all: [RecordedSegment], from start: Date, to end: Date?) -> [RecordedSegment] {
        all.filter { segment in
            segment.programDateTime.addingTimeInterval(segment.duration) > start && (end.map { segment.programDateTime < $0 } ?? true)
        }
    }

    /// Seconds into the recording (to the millisecond) at which `date` is shown. A time inside a gap maps
    /// to the start of the next segment; before the first segment, 0; after the last, the end.
    public func offset(of date: Date) -> Double {
        (rawOffset(of: date) * 1000).rounded() / 1000
    }

    private func rawOffset(of date: Date) -> Double {
        // The last segment starting at or before `date` (segments are in program-date-time order).
        var low = 0, high = segments.count
        while low < high {
            let middle = (low + high) / 2
            if segments[middle].programDateTime <= date { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return 0 }
        let index = low - 1
        let into = date.timeIntervalSince(segments[index].programDateTime)
        if into < segments[index].duration { return starts[index] + into }
        // In a gap after this segment (or after the last one).
        return index + 1 < segments.count ? starts[index + 1] : duration
    }

    /// One chapter per agenda item that was taken up, in the order they were, each ending where the next
    /// begins (the last at the end of the recording).
    public func chapters(_ agenda: [AgendaEntry]) -> [Chapter] {
        let taken = agenda.compactMap { item in item.startedAt.map { (item, offset(of: $0)) } }.sorted { $0.1 < $1.1 }
        return taken.enumerated().map { index, entry in
            let end = index + 1 < taken.count ? taken[index + 1].1 : duration
            return Chapter(itemId: entry.0.id, number: entry.0.number, title: entry.0.title, start: entry.1, end: max(entry.1, end))
        }
    }
}
