import Archive
import Foundation
import Media
import Storage

/// Cuts clips (`clip.mp4`) out of segments already on disk: whole segments remuxed into one MP4 from the
/// first keyframe at or after the start, no re-encoding, every audio track kept. One export runs at a time;
/// a clip asked for twice is cut once; the newest clips are kept in a cache folder.
public actor ClipMaker {
    /// What to cut: consecutive recorded segments of the video rendition's folder, the audio renditions'
    /// folders with the same segment numbers, and the span in seconds from the first segment's start.
    public struct Request: Sendable {
        public var key: String
        public var segments: [RecordedSegment]
        public var video: URL
        public var alternateAudio: [URL]
        public var span: ClosedRange<Double>
        public var title: String

        public init(key: String, segments: [RecordedSegment], video: URL, alternateAudio: [URL], span: ClosedRange<Double>, title: String) {
            self.key = key
            self.segments = segments
            self.video = video
            self.alternateAudio = alternateAudio
            self.span = span
            self.title = title
        }
    }

    private let folder: URL
    private let keep: Int
    private let exporting = AsyncLock()
    private var inFlight: [String: Task<URL, Error>] = [:]

    public init(folder: URL, keep: Int = 64) {
        self.folder = folder
        self.keep = keep
    }

    /// The clip's file, cut now or found in the cache.
    public func clip(_ request: Request) async throws -> URL {
        let output = folder.appendingPathComponent("\(request.key).mp4")
        if let task = inFlight[request.key] { return try await task.value }
        let task = Task { [folder, keep, exporting] in
            if FileManager.default.fileExists(atPath: output.path) { return output }
            return try await exporting.withLock {
                try await offThePool {
                    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                    let runs = SittingArchiver.runs(request.segments, in: request.video)
                    // An interpretation track joins only when it has every segment the picture has.
                    let alternates = SittingArchiver.alternateAudio(request.segments, folders: request.alternateAudio)
                    try RecordingExport.write(runs: runs, alternateAudio: alternates, chapters: [], span: request.span, title: request.title, to: output)
                    Self.prune(folder, keep: keep)
                    return output
                }
            }
        }
        inFlight[request.key] = task
        defer { inFlight[request.key] = nil }
        return try await task.value
    }

    /// Keeps the `keep` newest clips.
    private static func prune(_ folder: URL, keep: Int) {
        let files = ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.contentModificationDateKey])) ?? [])
            .filter { $0.pathExtension == "mp4" }
            .sorted { (modified($0) ?? .distantPast) > (modified($1) ?? .distantPast) }
        for file in files.dropFirst(keep) { try? FileManager.default.removeItem(at: file) }
    }

    private static func modified(_ url: URL) -> Date? {
        (try? url.resourceValues(forKeys: [.contentModificationDateKey]))?.contentModificationDate
    }
}
