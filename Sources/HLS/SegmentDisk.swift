import Foundation
import Logging
import NIOCore

/// The on-disk copy of a channel's media: `{root}/{rendition}/init-{g}.mp4`, `{msn}.m4s` and an
/// append-only `segments.jsonl` index (msn, duration, program-date-time, discontinuity, init), which the
/// archive reads back. Writes go through one serial queue, off the cooperative pool, each via temp + rename.
public final class SegmentDisk: Sendable {
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

    public init(root: URL) {
        self.root = root
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
        queue.async { Self.atomicWrite(bytes, to: url) }
    }

    public func writeSegment(_ segment: MediaSegment, rendition: String) {
        guard let bytes = segment.bytes else { return }
        let folder = directory(rendition)
        let entry = IndexEntry(
            msn: segment.msn, duration: segment.duration, programDateTime: segment.programDateTime,
            discontinuity: segment.discontinuity, initGeneration: segment.initGeneration
        )
        queue.async {
            Self.atomicWrite(bytes, to: folder.appendingPathComponent("\(segment.msn).m4s"))
            Self.appendIndex(entry, in: folder)
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

    /// The index of a rendition, oldest first; a torn last line (crash mid-append) is skipped.
    public func index(rendition: String) -> [IndexEntry] {
        guard let data = try? Data(contentsOf: directory(rendition).appendingPathComponent("segments.jsonl")) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601WithFractions
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? decoder.decode(IndexEntry.self, from: Data($0)) }
    }

    private static let logger = Logger(label: "senate-live.segment-disk")

    private static func atomicWrite(_ bytes: ByteBuffer, to url: URL) {
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
            try Data(bytes.readableBytesView).write(to: temporary)
            // rename(2) is atomic: a reader or a crash sees the old file or the new one, never half of one.
            guard rename(temporary.path, url.path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            logger.error("cannot write media file", metadata: ["path": "\(url.path)", "error": "\(error)"])
        }
    }

    private static func appendIndex(_ entry: IndexEntry, in folder: URL) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601WithFractions
        guard var line = try? encoder.encode(entry) else { return }
        line.append(UInt8(ascii: "\n"))
        let url = folder.appendingPathComponent("segments.jsonl")
        if !FileManager.default.fileExists(atPath: url.path) { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        guard let handle = try? FileHandle(forWritingTo: url) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: line)
    }
}

extension JSONEncoder.DateEncodingStrategy {
    /// ISO 8601 with milliseconds, as in `EXT-X-PROGRAM-DATE-TIME`.
    static let iso8601WithFractions = JSONEncoder.DateEncodingStrategy.custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(formatDate(date))
    }
}

extension JSONDecoder.DateDecodingStrategy {
    static let iso8601WithFractions = JSONDecoder.DateDecodingStrategy.custom { decoder in
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 date"))
        }
        return date
    }
}
