import Foundation
import NIOCore

/// One channel's live media: renditions' timelines in memory, a copy on disk, playlists, and the
/// LL-HLS blocking requests waiting for the next part.
public actor SegmentStore {
    public struct Configuration: Sendable {
        public var partTarget: Double
        public var segmentTarget: Double
        /// Closed segments listed in a live playlist.
        public var window: Int
        /// Closed segments kept in memory (older ones are served from disk).
        public var memorySegments: Int
        /// How long a blocking request may wait; nil: three target durations.
        public var blockingTimeout: Double?

        public init(partTarget: Double = 0.333, segmentTarget: Double = 2, window: Int = 12, memorySegments: Int = 16, blockingTimeout: Double? = nil) {
            self.partTarget = partTarget
            self.segmentTarget = segmentTarget
            self.window = window
            self.memorySegments = max(memorySegments, window + 2)
            self.blockingTimeout = blockingTimeout
        }
    }

    public nonisolated let channel: String
    public nonisolated let renditions: [String]
    private let configuration: Configuration
    private let playlist: MediaPlaylist
    private let disk: SegmentDisk?
    private var timelines: [String: RenditionTimeline]
    private var descriptions: [String: StreamDescription] = [:]
    /// The floor audio muxed into every variant, for the multivariant playlist's audio group.
    private var floorAudio: StreamDescription?
    private var generation: Int
    private var hasSegments = false
    private var waiters: [UUID: Waiter] = [:]
    /// Agenda items and votes, by id, in the order they began.
    private var dateRanges: [DateRange] = []
    private var segmentClosed: (@Sendable (Date) -> Void)?
    /// Transcript cues by line id (a final line replaces its interim version).
    private var cues: [String: Cue] = [:]

    private struct Waiter {
        let rendition: String
        let request: BlockingRequest
        let continuation: CheckedContinuation<Void, Error>
    }

    /// `renditions` in the order the multivariant playlist lists them. Numbering continues after what
    /// `disk` already holds, so a URL never names two different pieces of media.
    public init(channel: String, renditions: [String], configuration: Configuration, disk: SegmentDisk?) {
        self.channel = channel
        self.renditions = renditions
        self.configuration = configuration
        self.disk = disk
        self.playlist = MediaPlaylist(partTarget: configuration.partTarget, segmentTarget: configuration.segmentTarget, window: configuration.window)
        let highest = disk?.highestNumbers(renditions: renditions) ?? (msn: -1, generation: -1)
        self.generation = highest.generation
        self.hasSegments = highest.msn >= 0
        self.timelines = Dictionary(uniqueKeysWithValues: renditions.map { ($0, RenditionTimeline(name: $0, firstMsn: highest.msn + 1)) })
    }

    // MARK: Ingest side

    /// The on-disk copy (for DVR playlists and clips).
    public nonisolated var segmentDisk: SegmentDisk? { disk }

    /// A new input session: the renditions it carries, a new init generation, a discontinuity. `floorAudio`
    /// describes the audio muxed into every variant. Every rendition continues at the same segment number.
    public func beginSession(_ streams: [String: StreamDescription], floorAudio: StreamDescription? = nil) {
        generation += 1
        descriptions = streams
        self.floorAudio = floorAudio
        for name in renditions {
            closeSegment(name)
            timelines[name]?.startGeneration(generation, discontinuity: hasSegments)
        }
        let next = timelines.values.map(\.nextMsn).max() ?? 0
        for name in renditions { timelines[name]?.skip(to: next) }
        wakeWaiters()
    }

    /// A rendition stops for the rest of the session: its open segment is closed, and it leaves the
    /// multivariant playlist (its media playlist answers 404) until the next session.
    public func dropRendition(_ name: String) {
        guard descriptions.removeValue(forKey: name) != nil else { return }
        closeSegment(name)
        wakeWaiters()
    }

    public func setInitialization(rendition: String, bytes: ByteBuffer) {
        timelines[rendition]?.setInitialization(bytes, generation: generation)
        disk?.writeInitialization(bytes, rendition: rendition, generation: generation)
    }

    public func appendPart(rendition: String, duration: Double, independent: Bool, programDateTime: Date, mediaTime: Double = 0, bytes: ByteBuffer) {
        guard descriptions[rendition] != nil else { return }  // dropped: a part already on its way is not served
        timelines[rendition]?.append(duration: duration, independent: independent, programDateTime: programDateTime, mediaTime: mediaTime, bytes: bytes)
        hasSegments = true
        wakeWaiters()
    }

    /// Closes the open segment of `name`, queues it for the disk and, for the first rendition, says so.
    private func closeSegment(_ name: String) {
        guard let closed = timelines[name]?.closeSegment() else { return }
        disk?.writeSegment(closed, rendition: name)
        if name == renditions.first { segmentClosed?(closed.endDate) }
    }

    /// Called with the end (on the program-date-time clock) of each segment the first rendition closes,
    /// once it is queued for the disk: the recorder waits on this for a sitting's last segment.
    public func onSegmentClosed(_ handler: @escaping @Sendable (Date) -> Void) {
        segmentClosed = handler
    }

    /// Closes the open segment of `names` (nil: every rendition) and writes it to disk.
    public func endSegment(_ names: [String]? = nil) async {
        for name in names ?? renditions {
            closeSegment(name)
            timelines[name]?.evict(keepSegments: configuration.memorySegments, keepParts: playlist.partWindow + 1)
        }
        wakeWaiters()
        trimLiveSync()
        // Backpressure: an input read faster than the disk writes (packaging a file) waits here.
        if let disk, disk.isBacklogged { await disk.flush() }
    }

    // MARK: Reading side

    /// The media playlist of a rendition; with a blocking request, once the playlist satisfies it.
    /// `delta`: the client asked for a delta update (`_HLS_skip`).
    public func mediaPlaylist(rendition: String, blocking request: BlockingRequest? = nil, delta: Bool = false) async throws -> String {
        try await mediaPlaylistAnswer(rendition: rendition, blocking: request, delta: delta).text
    }

    /// The media playlist and how long after the newest part's cut it was rendered, in milliseconds (for
    /// `X-Part-Age-Ms`: a blocking reload's own delay), taken in the same turn of the actor.
    public func mediaPlaylistAnswer(rendition: String, blocking request: BlockingRequest? = nil, delta: Bool = false) async throws -> (text: String, partAge: Double?) {
        guard let timeline = timelines[rendition], descriptions[rendition] != nil else {
            throw HLSError(.notFound, "channel \(channel) has no rendition \(rendition) yet")
        }
        if let request {
            if timeline.isTooFarAhead(request) {
                throw HLSError(.badRequest, "_HLS_msn=\(request.msn) is more than two segments past the live edge (\(timeline.latestCompleteMsn))")
            }
            try await wait(rendition: rendition, for: request)
        }
        return (try renderedPlaylist(rendition, delta: delta), timelines[rendition]?.newestPartAge)
    }

    private func renderedPlaylist(_ rendition: String, delta: Bool) throws -> String {
        guard let timeline = timelines[rendition], timeline.latestPart != nil else {
            throw HLSError(.notReady, "channel \(channel) has no media yet")
        }
        let reports = renditions.filter { $0 != rendition && descriptions[$0] != nil }.compactMap { other -> MediaPlaylist.RenditionReport? in
            guard let latest = timelines[other]?.latestPart else { return nil }
            return .init(uri: "../\(other)/index.m3u8", lastMsn: latest.msn, lastPart: latest.part)
        }
        return playlist.render(timeline, reports: reports, extraTags: dateRangeTags(since: timeline.segments.suffix(configuration.window).first?.programDateTime), delta: delta)
    }

    // MARK: Live sync (date ranges and captions)

    /// Adds a date range or replaces the one with the same id (an agenda item or vote that ended).
    public func upsertDateRange(_ range: DateRange) {
        if let index = dateRanges.firstIndex(where: { $0.id == range.id }) { dateRanges[index] = range } else { dateRanges.append(range) }
    }

    /// The open date range of a class (the agenda item under consideration), if any.
    public func openDateRange(classId: String) -> DateRange? {
        dateRanges.last { $0.classId == classId && $0.end == nil }
    }

    /// The date ranges of a class still kept, oldest first.
    public func dateRanges(classId: String) -> [DateRange] {
        dateRanges.filter { $0.classId == classId }
    }

    /// The captions still kept, by line id.
    public func captions() -> [String: Cue] { cues }

    /// Adds a caption or replaces the one with the same line id.
    public func upsertCue(_ cue: Cue) {
        cues[cue.id] = cue
    }

    /// `EXT-X-DATERANGE` tags of ranges still running or ending after `since` (the playlist's first segment).
    private func dateRangeTags(since: Date?) -> [String] {
        dateRanges.filter { range in since.map { (range.end ?? .distantFuture) >= $0 } ?? true }.map(\.tag)
    }

    /// The subtitle rendition's playlist (from the source rendition's segments).
    public func subtitlePlaylist() throws -> String {
        guard let source = renditions.first.flatMap({ timelines[$0] }), !source.segments.isEmpty else {
            throw HLSError(.notReady, "channel \(channel) has no media yet")
        }
        return SubtitleTrack.playlist(source, window: configuration.window, segmentTarget: configuration.segmentTarget)
    }

    /// The WebVTT segment aligned with source segment `msn`, while that segment is in memory.
    public func subtitleSegment(msn: Int) -> String? {
        guard let segment = renditions.first.flatMap({ timelines[$0]?.segment(msn) }), segment.isComplete else { return nil }
        return SubtitleTrack.segment(segment, cues: cues.values.sorted { $0.start < $1.start })
    }

    /// Captions and ranges that end before this are not needed: a minute before the oldest segment kept in
    /// memory, or (no media yet) before what a full window of segments would hold.
    public func liveSyncHorizon(now: Date) -> Date {
        mediaHorizon ?? now.addingTimeInterval(-Double(configuration.memorySegments) * configuration.segmentTarget - 60)
    }

    /// A minute before the oldest segment kept in memory; nil without media.
    private var mediaHorizon: Date? {
        renditions.first.flatMap { timelines[$0]?.segments.first?.programDateTime }?.addingTimeInterval(-60)
    }

    /// Forgets captions and ranges that ended before the oldest segment kept in memory.
    private func trimLiveSync() {
        guard let horizon = mediaHorizon else { return }
        cues = cues.filter { $0.value.end >= horizon }
        dateRanges.removeAll { ($0.end ?? .distantFuture) < horizon }
    }

    /// The multivariant playlist: one variant per rendition that has media, interpretation tracks as
    /// alternative audio. `playlist`: the media playlists' file name (`dvr.m3u8` for rewinding).
    public func multivariantPlaylist(playlist: String = "index.m3u8") throws -> String {
        let live = renditions.filter { descriptions[$0] != nil && timelines[$0]?.latestPart != nil }
        guard !live.isEmpty else { throw HLSError(.notReady, "channel \(channel) has no media yet") }
        let variants = live.filter { descriptions[$0]?.isAlternateAudio == false }
        var audio = floorAudio.map { [MultivariantPlaylist.AudioTrack(stream: $0, uri: nil)] } ?? []
        audio += live.filter { descriptions[$0]?.isAlternateAudio == true }.map { .init(stream: descriptions[$0]!, uri: "\($0)/\(playlist)") }
        return MultivariantPlaylist.render(variants.map { name in
            MultivariantPlaylist.Variant(uri: "\(name)/\(playlist)", stream: descriptions[name]!, bandwidth: bandwidth(name))
        }, audio: audio, extraTags: [SubtitleTrack.mediaTag], attributes: SubtitleTrack.variantAttribute)
    }

    /// Whether `rendition` carries media in this session (for DVR and clip requests).
    public func isServing(_ rendition: String) -> Bool { descriptions[rendition] != nil }

    /// The renditions that carry media now, with their descriptions.
    public func currentDescriptions() -> [String: StreamDescription] { descriptions }

    /// `init.mp4` (nil generation: the current one) or `init-{generation}.mp4`.
    public func initialization(rendition: String, generation requested: Int?) async -> ByteBuffer? {
        guard let timeline = timelines[rendition] else { return nil }
        let wanted = requested ?? timeline.currentGeneration
        if let bytes = timeline.initializations[wanted] { return bytes }
        return await disk?.read(rendition: rendition, name: "init-\(wanted).mp4")
    }

    /// A whole segment, from memory or disk.
    public func segment(rendition: String, msn: Int) async -> ByteBuffer? {
        guard let timeline = timelines[rendition] else { return nil }
        if let segment = timeline.segment(msn) {
            return segment.isComplete ? segment.bytes : nil
        }
        guard msn < timeline.nextMsn else { return nil }
        return await disk?.read(rendition: rendition, name: "\(msn).m4s")
    }

    /// A part; the part named by `EXT-X-PRELOAD-HINT` is answered as soon as it is cut.
    public func part(rendition: String, msn: Int, index: Int) async throws -> ByteBuffer {
        guard let timeline = timelines[rendition] else { throw HLSError(.notFound, "no rendition \(rendition)") }
        if let bytes = timeline.part(msn: msn, index: index) { return bytes }
        let hint = timeline.nextPart
        guard msn == hint.msn && index == hint.part else { throw HLSError(.notFound, "no part \(msn).\(index)") }
        try await wait(rendition: rendition, for: BlockingRequest(msn: msn, part: index))
        guard let bytes = timelines[rendition]?.part(msn: msn, index: index) else {
            throw HLSError(.notFound, "part \(msn).\(index) was not produced")
        }
        return bytes
    }

    /// Blocking requests now waiting (a metrics gauge).
    public var waitingRequests: Int { waiters.count }

    /// Parts and segments per rendition (for `/readyz` and tests).
    public func latestPart(rendition: String) -> (msn: Int, part: Int)? { timelines[rendition]?.latestPart }

    // MARK: Waiting

    private func wait(rendition: String, for request: BlockingRequest) async throws {
        if timelines[rendition]?.isSatisfied(request) == true { return }
        let id = UUID()
        let timeout = configuration.blockingTimeout ?? configuration.segmentTarget * 3
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            waiters[id] = Waiter(rendition: rendition, request: request, continuation: continuation)
            Task { [weak self] in
                try? await Task.sleep(for: .milliseconds(Int(timeout * 1000)))
                await self?.expire(id)
            }
        }
    }

    private func expire(_ id: UUID) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        waiter.continuation.resume(throwing: HLSError(.timedOut, "segment \(waiter.request.msn) part \(waiter.request.part.map(String.init) ?? "-") did not arrive in time"))
    }

    private func wakeWaiters() {
        for (id, waiter) in waiters where timelines[waiter.rendition]?.isSatisfied(waiter.request) == true {
            waiters.removeValue(forKey: id)
            waiter.continuation.resume()
        }
    }

    /// Waits until every segment handed to the disk is written (shutdown, input switch).
    public func flush() async {
        await disk?.flush()
    }

    /// Fails every waiter (shutdown).
    public func cancelWaiters() {
        for waiter in waiters.values { waiter.continuation.resume(throwing: HLSError(.notReady, "shutting down")) }
        waiters.removeAll()
    }

    /// (peak, average) bits per second over the segments in memory.
    private func bandwidth(_ rendition: String) -> (peak: Int, average: Int)? {
        let closed = timelines[rendition]?.segments.filter { $0.duration > 0 && $0.bytes != nil } ?? []
        guard !closed.isEmpty else { return nil }
        let rates = closed.map { Double($0.bytes!.readableBytes * 8) / $0.duration }
        let total = closed.reduce(0.0) { $0 + Double($1.bytes!.readableBytes * 8) } / closed.reduce(0.0) { $0 + $1.duration }
        return (Int(rates.max()!), Int(total))
    }
}
