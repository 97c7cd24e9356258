import Archive
import Foundation
import HLS
import Logging
import Media
import Relay
import Storage
import Synchronization
import WallClock

/// Writes each sitting's archive from the media the live path put on disk and the catalog: VOD playlists,
/// hard links to the segments, `chapters.json`, `transcript.vtt`, and `recording.mp4` (remuxed once,
/// then served from disk). Also applies the retention setting.
public actor SittingArchiver {
    public nonisolated let catalog: Catalog
    public nonisolated let folder: ArchiveFolder
    private let disks: [String: SegmentDisk]
    private let renditions: [String]
    private let settings: ArchiveSettings
    private let logger: Logger
    /// One lock per sitting: its archive is written, rewritten and exported one step at a time.
    private var locks: [String: AsyncLock] = [:]
    /// Where each channel's closed segments reach on the program-date-time clock (its segment store tells),
    /// and a bell rung at each.
    private nonisolated let recorded = Mutex<[String: Date]>([:])
    private nonisolated let segmentBell = Doorbell()
    /// Sittings that ended, for `archiveEndedSittings`.
    private nonisolated let ended = AsyncStream.makeStream(of: String.self)

    public init(catalog: Catalog, folder: ArchiveFolder, disks: [String: SegmentDisk], renditions: [String], settings: ArchiveSettings, logger: Logger) {
        self.catalog = catalog
        self.folder = folder
        self.disks = disks
        self.renditions = renditions
        self.settings = settings
        self.logger = logger
    }

    /// A sitting just ended: `archiveEndedSittings` writes its archive once the segment holding its end
    /// is on disk. Returns at once.
    nonisolated func sittingEnded(_ sitting: String) {
        ended.continuation.yield(sitting)
    }

    /// A segment of `channel` that ends at `date` was closed and queued for the disk (from its store).
    public nonisolated func segmentClosed(channel: String, through date: Date) {
        recorded.withLock { $0[channel] = max($0[channel] ?? .distantPast, date) }
        segmentBell.ring()
    }

    /// Writes the archive (then, if configured, the recording) of each sitting as it ends, each in a child
    /// task (one sitting's wait for its last segment never delays another's), until cancelled
    /// (`ArchiveService` runs it beside the catalog's follower).
    func archiveEndedSittings() async {
        await withDiscardingTaskGroup { group in
            for await sitting in ended.stream {
                group.addTask { await self.archiveEnded(sitting) }
            }
        }
    }

    private func archiveEnded(_ sitting: String) async {
        do {
            if let summary = try await catalog.detail(sitting: sitting)?.sitting, let end = summary.endedAt {
                await waitForMedia(channel: summary.channel, through: end)
            }
            try await write(sitting)
            if settings.exportOnEnd { _ = try await recording(sitting) }
        } catch is CancellationError {
        } catch {
            logger.error("cannot archive sitting", metadata: ["sitting": "\(sitting)", "error": "\(error)"])
        }
    }

    /// Ended sittings whose archive was never written after their end (the server stopped during the
    /// wait, or the write failed) get it now. Runs at start and with every retention sweep.
    func archivePending() async {
        // Sittings that ended moments ago are still in `sittingEnded`'s wait for their last segment.
        let settled = Date().addingTimeInterval(-settings.endWait - 10)
        for sitting in (try? await catalog.sittingsAwaitingArchive(endedBefore: settled)) ?? [] {
            do {
                try await write(sitting)
                logger.notice("wrote the pending archive of an ended sitting", metadata: ["sitting": "\(sitting)"])
                if settings.exportOnEnd { _ = try await recording(sitting) }
            } catch {
                logger.error("cannot archive sitting", metadata: ["sitting": "\(sitting)", "error": "\(error)"])
            }
        }
    }

    /// After a crash, sittings left open get their archive written from what is on disk; it is written
    /// again when they end.
    func recoverOpenSittings() async {
        for sitting in (try? await catalog.openSittings()) ?? [] {
            do {
                try await write(sitting.id)
                logger.notice("wrote the archive of a sitting left open", metadata: ["sitting": "\(sitting.id)"])
            } catch {
                logger.error("cannot archive sitting", metadata: ["sitting": "\(sitting.id)", "error": "\(error)"])
            }
        }
    }

    /// Waits (up to `endWait`) until the channel's store has closed a segment reaching `date`, then until
    /// the disk has written it. Before the store has closed one since the start, the disk's index says
    /// (a sitting that ended before a restart).
    private func waitForMedia(channel: String, through date: Date) async {
        guard let disk = disks[channel], let rendition = renditions.first else { return }
        if recorded.withLock({ $0[channel] }) == nil, let last = await offThePool({ disk.index(rendition: rendition).last }) {
            segmentClosed(channel: channel, through: last.programDateTime.addingTimeInterval(last.duration))
        }
        let deadline = ContinuousClock.now + .milliseconds(Int64(settings.endWait * 1000))
        while recorded.withLock({ $0[channel] ?? .distantPast }) < date, !Task.isCancelled {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { break }
            await segmentBell.wait(timeout: left)
        }
        await disk.flush()
    }

    private func lock(_ sitting: String) -> AsyncLock {
        if let lock = locks[sitting] { return lock }
        let lock = AsyncLock()
        locks[sitting] = lock
        return lock
    }

    /// Writes (or rewrites) the archive files of `sitting` and the media offsets in the catalog.
    func write(_ sitting: String) async throws {
        try await lock(sitting).withLock { try await writeLocked(sitting) }
    }

    private func writeLocked(_ sitting: String) async throws {
        guard let detail = try await catalog.detail(sitting: sitting) else { throw RecorderError.notFound("no sitting \(sitting)") }
        guard let disk = disks[detail.sitting.channel], ArchiveFolder.isValid(sitting: sitting) else {
            throw RecorderError.notFound("sitting \(sitting) has no recorded channel")
        }
        await disk.flush()
        let (start, end) = (detail.sitting.startedAt, detail.sitting.endedAt ?? Date())
        let (renditions, folder, logger) = (renditions, folder, logger)
        // Reading the index and linking files is blocking work: off the cooperative pool.
        let timeline = try await offThePool { () throws -> RecordingTimeline in
            var timeline = RecordingTimeline(segments: [])
            for rendition in renditions {
                let all = disk.index(rendition: rendition)
                // Renditions the channel never made (no ladder rung, no second language) have no folder.
                if all.isEmpty && rendition != renditions.first { continue }
                let wanted = Set(RecordingTimeline.select(all.map(Self.recorded), from: start, to: end).map(\.msn))
                var entries = all.filter { wanted.contains($0.msn) }
                let names = Set(entries.map { "init-\($0.initGeneration).mp4" }).sorted() + entries.map { "\($0.msn).m4s" }
                let missing = Set(try folder.bringMedia(names, from: disk.directory(rendition), sitting: sitting, rendition: rendition))
                if !missing.isEmpty {
                    logger.warning("segments missing from the recording", metadata: ["sitting": "\(sitting)", "files": "\(missing.sorted().prefix(10))"])
                    entries.removeAll { missing.contains("\($0.msn).m4s") || missing.contains("init-\($0.initGeneration).mp4") }
                }
                try folder.write(Data(VODPlaylist.render(entries).utf8), to: "\(rendition)/index.m3u8", sitting: sitting)
                if rendition == renditions.first {
                    try folder.write(Data(VODPlaylist.render(entries, uriPrefix: "\(rendition)/").utf8), to: "index.m3u8", sitting: sitting)
                    timeline = RecordingTimeline(segments: entries.map(Self.recorded))
                    try folder.write(try Self.encoder.encode(timeline.segments), to: "segments.json", sitting: sitting)
                }
            }
            return timeline
        }
        try await catalog.recordArchive(sitting: sitting, timeline: timeline, at: Date())
        let updated = try await catalog.detail(sitting: sitting) ?? detail
        let chapters = try Self.encoder.encode(ChaptersFile(sitting: sitting, duration: timeline.duration, chapters: timeline.chapters(updated.agenda)))
        let transcript = Data(TranscriptVTT.render(updated.transcript, timeline: timeline).utf8)
        try await offThePool {
            try folder.write(chapters, to: "chapters.json", sitting: sitting)
            try folder.write(transcript, to: "transcript.vtt", sitting: sitting)
            // The media may have changed (a sitting archived after a crash, then ended): export again. Any
            // export of this sitting has finished (it holds the same lock).
            try? FileManager.default.removeItem(at: folder.folder(sitting).appendingPathComponent("recording.mp4"))
        }
    }

    /// `recording.mp4` of an ended sitting, remuxed on first use; concurrent callers wait for the one export.
    public func recording(_ sitting: String) async throws -> URL {
        if let url = folder.existingFile(sitting: sitting, ["recording.mp4"]) { return url }
        return try await lock(sitting).withLock {
            if let url = folder.existingFile(sitting: sitting, ["recording.mp4"]) { return url }
            return try await export(sitting)
        }
    }

    private func export(_ sitting: String) async throws -> URL {
        guard let summary = try await catalog.detail(sitting: sitting)?.sitting else { throw RecorderError.notFound("no sitting \(sitting)") }
        guard summary.status == .ended, let archived = summary.archivedAt, let ended = summary.endedAt, archived >= ended else {
            throw RecorderError(.conflict, code: "sitting_not_archived", "sitting \(sitting) has not ended and been archived yet; watch it live at /live/\(summary.channel)/index.m3u8")
        }
        let base = folder.folder(sitting)
        let (segments, chapters) = try await offThePool {
            (try JSONDecoder.archive.decode([RecordedSegment].self, from: Data(contentsOf: base.appendingPathComponent("segments.json"))),
             try JSONDecoder.archive.decode(ChaptersFile.self, from: Data(contentsOf: base.appendingPathComponent("chapters.json"))).chapters)
        }
        guard !segments.isEmpty else { throw RecorderError(.notFound, code: "no_media", "sitting \(sitting) has no recorded media") }
        let runs = Self.runs(segments, in: base.appendingPathComponent(renditions[0], isDirectory: true))
        let folders = Self.alternateFolders(base, renditions: renditions)
        let alternates = await offThePool { Self.alternateAudio(segments, folders: folders) }
        let output = base.appendingPathComponent("recording.mp4")
        let marks = chapters.map { RecordingExport.Chapter(title: "\($0.number). \($0.title)", start: $0.start, end: $0.end) }
        let started = ContinuousClock.now
        let cancelled = Atomic<Bool>(false)
        let skipped: Int
        do {
            skipped = try await withTaskCancellationHandler {
                try await offThePool {
                    try RecordingExport.write(runs: runs, alternateAudio: alternates, chapters: marks, title: summary.title, to: output) { cancelled.load(ordering: .relaxed) }
                }
            } onCancel: {
                cancelled.store(true, ordering: .relaxed)
            }
        } catch {
            throw RecorderError(.failed, code: "export_failed", "cannot write the recording of \(sitting): \(error)")
        }
        if skipped > 0 {
            logger.warning("recording: parts whose codec settings differ from the first were left out", metadata: ["sitting": "\(sitting)", "runs": "\(skipped)"])
        }
        logger.info("recording written", metadata: ["sitting": "\(sitting)", "seconds": "\(ContinuousClock.now - started)"])
        return output
    }

    /// Seconds between retention sweeps: hourly, or a quarter of a retention shorter than four hours.
    nonisolated var sweepInterval: Double {
        settings.retentionDays > 0 ? min(3600, max(1, settings.retentionDays * 86_400 / 4)) : 3600
    }

    /// Deletes ended sittings and live media older than the retention setting.
    func applyRetention(now: Date = Date()) async {
        guard settings.retentionDays > 0 else { return }
        let cutoff = now.addingTimeInterval(-settings.retentionDays * 86_400)
        for sitting in (try? await catalog.sittings(endedBefore: cutoff)) ?? [] {
            do {
                let folder = folder
                try await offThePool { try folder.remove(sitting: sitting) }
                try await catalog.delete(sitting: sitting)
                logger.info("retention: removed sitting", metadata: ["sitting": "\(sitting)"])
            } catch {
                logger.error("retention: cannot remove sitting", metadata: ["sitting": "\(sitting)", "error": "\(error)"])
            }
        }
        // Live media is kept at least an hour whatever the setting (the live window and a sitting about to be
        // archived still need it), and media of a sitting still open (not yet linked into its archive) stays.
        let folders = disks.values.flatMap { disk in renditions.map { disk.directory($0) } }
        let oldestOpen = ((try? await catalog.openSittings()) ?? []).map(\.startedAt).min() ?? now
        let mediaCutoff = min(cutoff, now.addingTimeInterval(-3600), oldestOpen.addingTimeInterval(-60))
        await offThePool { LiveMediaPruner.prune(folders, olderThan: mediaCutoff) }
    }

    /// The folders of the interpretation renditions (`audio2`, `audio3` …) under `base`.
    public static func alternateFolders(_ base: URL, renditions: [String]) -> [URL] {
        renditions.filter { $0.hasPrefix(Rendition.audio) && $0 != Rendition.audio }.map { base.appendingPathComponent($0, isDirectory: true) }
    }

    /// The interpretation tracks in `folders` that have every segment the picture has, as runs matching the
    /// picture's. Blocking (file checks).
    public static func alternateAudio(_ segments: [RecordedSegment], folders: [URL]) -> [[RecordingExport.Run]] {
        folders.map { runs(segments, in: $0) }.filter { runs in
            runs.allSatisfy { $0.files.allSatisfy { FileManager.default.fileExists(atPath: $0.path) } }
        }
    }

    /// A clip of an archived sitting: `from`…`to` seconds into its recording.
    public func clip(_ sitting: String, from: Double, to: Double, maker: ClipMaker) async throws -> URL {
        guard let summary = try await catalog.detail(sitting: sitting)?.sitting, ArchiveFolder.isValid(sitting: sitting) else { throw RecorderError.notFound("no sitting \(sitting)") }
        let base = folder.folder(sitting)
        guard let data = await offThePool({ try? Data(contentsOf: base.appendingPathComponent("segments.json")) }),
              let segments = try? JSONDecoder.archive.decode([RecordedSegment].self, from: data), !segments.isEmpty else {
            throw RecorderError(.notFound, code: "no_media", "sitting \(sitting) has no archived media yet")
        }
        let chapters = await offThePool { (try? Data(contentsOf: base.appendingPathComponent("chapters.json"))).flatMap { try? JSONDecoder.archive.decode(ChaptersFile.self, from: $0) }?.chapters ?? [] }
        let title = chapters.last { $0.start <= from }.map { "\($0.number). \($0.title)" } ?? summary.title
        let audio = Self.alternateFolders(base, renditions: renditions)
        return try await maker.clip(.init(
            key: "\(sitting)-\(Int(from * 1000))-\(Int(to * 1000))", segments: segments, video: base.appendingPathComponent(renditions[0], isDirectory: true),
            alternateAudio: audio, span: from...to, title: title
        ))
    }

    /// Consecutive segments that share an init segment and have no discontinuity between them.
    static func runs(_ segments: [RecordedSegment], in media: URL) -> [RecordingExport.Run] {
        var runs: [RecordingExport.Run] = []
        for (index, segment) in segments.enumerated() {
            let file = media.appendingPathComponent("\(segment.msn).m4s")
            if index > 0, !segment.discontinuity, segment.generation == segments[index - 1].generation {
                runs[runs.count - 1].files.append(file)
                runs[runs.count - 1].duration += segment.duration
            } else {
                runs.append(.init(files: [media.appendingPathComponent("init-\(segment.generation).mp4"), file], duration: segment.duration))
            }
        }
        return runs
    }

    public static func recorded(_ entry: SegmentDisk.IndexEntry) -> RecordedSegment {
        RecordedSegment(msn: entry.msn, duration: entry.duration, programDateTime: entry.programDateTime, discontinuity: entry.discontinuity, generation: entry.initGeneration)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .wallClock
        return encoder
    }()
}

extension JSONDecoder {
    /// Reads what `SittingArchiver.encoder` wrote.
    static var archive: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .wallClock
        return decoder
    }
}

/// `chapters.json`: the agenda items taken up, with their offsets in the recording.
struct ChaptersFile: Codable {
    var sitting: String
    var duration: Double
    var chapters: [Chapter]
}
