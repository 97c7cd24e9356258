import Foundation
import WallClock
import Logging
import NIOCore
import NIOFoundationCompat
import Synchronization

/// The on-disk copy of a channel's media: `{root}/{rendition}/init-{g}.mp4`, `{msn}.m4s` and an
/// append-only `segments.jsonl` index (msn, duration, program-date-time, discontinuity, init), which the
/// archive reads back. Writes go through one serial queue, off the cooperative pool, each via temp + rename.
public final class SegmentDisk: @unchecked Sendable {
    // @unchecked: `indexFiles` is only touched on `queue`; `pendingBytes` is atomic.

    /// One line of `segments.jsonl`.
    public struct IndexEntry: Codable, Sendable, Equatable {
        public var msn: Int
        public var duration: Double
        public var programDateTime: Date
        public var discontinuity: Bool
        public var initGeneration: Int
    }

    public let root: URL
    private let queue = DispatchQueue(label: "senate-live.segment-disk")
    /// Open `segments.jsonl` descriptors by rendition, kept open for appends.
    private var indexFiles: [String: Int32] = [:]
    /// Indexes read once and then kept up to date by the appends (on `queue`), for DVR playlists.
    private var indexCache: [String: [IndexEntry]] = [:]
    /// Bytes queued and not yet written: callers slow down above `backlogLimit`.
    private let pendingBytes = Atomic<Int>(0)
    private let backlogLimit = 32 * 1024 * 1024
    private static let logger = Logger(label: "senate-live.segment-disk")

    public init(root: URL) {
        self.root = root
    }

    deinit {
        for descriptor in indexFiles.values { close(descriptor) }
    }

    public func directory(_ rendition: String) -> URL { root.appendingPathComponent(rendition, isDirectory: true) }

    /// The largest msn and init generation already on disk, so a restarted server never reuses a URL.
    public func highestNumbers(renditions: [String]) -> (msn: Int, generation: Int) {
        var msn = -1, generation = -1
        for rendition in renditions {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory(rendition).path)) ?? []
            for name in names {
                if name.hasSuffix(".m4s"), let number = Int(name.dropLast(4)) { msn = max(msn, number) }
                if name.hasPrefix("init-"), name.hasSuffix(".mp4"), let number = Int(name.dropFirst(5).dropLast(4)) {
                    generation = max(generation, number)
                }
            }
        }
        return (msn, generation)
    }

    public func writeInitialization(_ bytes: ByteBuffer, rendition: String, generation: Int) {
        let url = directory(rendition).appendingPathComponent("init-\(generation).mp4")
        enqueue(bytes.readableBytes) { _ = Self.atomicWrite(bytes, to: url) }
    }

    public func writeSegment(_ segment: MediaSegment, rendition: String) {
        guard let bytes = segment.bytes else { return }
        let folder = directory(rendition)
        let entry = IndexEntry(
            msn: segment.msn, duration: segment.duration, programDateTime: segment.programDateTime,
            discontinuity: segment.discontinuity, initGeneration: segment.initGeneration
        )
        enqueue(bytes.readableBytes) {
            // The index names only segments that are on disk.
            if Self.atomicWrite(bytes, to: folder.appendingPathComponent("\(segment.msn).m4s")) {
                self.appendIndex(entry, rendition: rendition)
            }
        }
    }

    /// Whether writes are falling behind; the store then waits for `flush()` before taking more.
    public var isBacklogged: Bool { pendingBytes.load(ordering: .relaxed) > backlogLimit }

    private func enqueue(_ size: Int, _ work: @escaping @Sendable () -> Void) {
        pendingBytes.add(size, ordering: .relaxed)
        queue.async {
            work()
            self.pendingBytes.subtract(size, ordering: .relaxed)
        }
    }

    /// Reads a file of a rendition; `name` is built by the caller from parsed numbers, never from the URL.
    public func read(rendition: String, name: String) async -> ByteBuffer? {
        let url = directory(rendition).appendingPathComponent(name)
        return await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: (try? Data(contentsOf: url)).map { ByteBuffer(bytes: $0) })
            }
        }
    }

    /// Waits until every write queued so far is on disk.
    public func flush() async {
        await withCheckedContinuation { continuation in queue.async { continuation.resume() } }
    }

    /// The index of a rendition from `since` on, from memory after the first call (read on the disk's own
    /// queue, never on the caller's thread).
    public func index(rendition: String, since: Date) async -> [IndexEntry] {
        await withCheckedContinuation { continuation in
            queue.async {
                let all = self.cachedIndex(rendition)
                let first = all.firstIndex { $0.programDateTime.addingTimeInterval($0.duration) > since } ?? all.endIndex
                continuation.resume(returning: Array(all[first...]))
            }
        }
    }

    /// Runs on `queue`.
    private func cachedIndex(_ rendition: String) -> [IndexEntry] {
        if let cached = indexCache[rendition] { return cached }
        let loaded = index(rendition: rendition)
        indexCache[rendition] = loaded
        return loaded
    }

    /// The index of a rendition, oldest first; a torn last line (crash mid-append) is skipped.
    public func index(rendition: String) -> [IndexEntry] {
        guard let data = try? Data(contentsOf: directory(rendition).appendingPathComponent("segments.jsonl")) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .wallClock
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? decoder.decode(IndexEntry.self, from: Data($0)) }
    }

    /// Writes to a temporary name then renames: a reader or a crash sees the old file or the new one,
    /// never half of one.
    @discardableResult
    private static func atomicWrite(_ bytes: ByteBuffer, to url: URL) -> Bool {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            defer { close(descriptor) }
            try writeAll(descriptor, bytes)
            guard rename(temporary.path, url.path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            return true
        } catch {
            logger.error("cannot write media file", metadata: ["path": "\(url.path)", "error": "\(error)"])
            return false
        }
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: ByteBuffer) throws {
        try bytes.withUnsafeReadableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                }
                offset += written
            }
        }
    }

    /// Appends one JSON line; runs on `queue`.
    private func appendIndex(_ entry: IndexEntry, rendition: String) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .wallClock
        guard var line = try? encoder.encode(entry) else { return }
        line.append(UInt8(ascii: "\n"))
        if indexFiles[rendition] == nil {
            let path = directory(rendition).appendingPathComponent("segments.jsonl").path
            let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                Self.logger.error("cannot open segment index", metadata: ["path": "\(path)"])
                return
            }
            indexFiles[rendition] = descriptor
        }
        if indexCache[rendition] != nil {
            indexCache[rendition]!.append(entry)
            // A day of 2 s segments is 43,200 entries; keep a week at most in memory.
            if indexCache[rendition]!.count > 400_000 { indexCache[rendition]!.removeFirst(100_000) }
        }
        do { try Self.writeAll(indexFiles[rendition]!, ByteBuffer(data: line)) } catch {
            Self.logger.error("cannot append to segment index", metadata: ["rendition": "\(rendition)", "error": "\(error)"])
        }
    }
}
