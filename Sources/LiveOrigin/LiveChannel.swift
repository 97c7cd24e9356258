import Foundation
import HLS
import Logging
import Media
import Metrics
import NIOCore
import Relay
import Storage

/// One channel's live path: its current `Ingest`, the task that feeds the ingest's output into the
/// channel's `SegmentStore`, and the ingest state.
public actor LiveChannel {
    public nonisolated let slug: String
    public nonisolated let store: SegmentStore
    private let settings: SegmentSettings
    private let audioName: @Sendable (Int, String?) -> String
    private let logger: Logger
    private var ingest: Ingest?
    private var pump: Task<Void, Never>?
    /// Start and stop run one at a time: overlapping PUT/DELETE requests never leave an input orphaned.
    private let switching = AsyncLock()
    public private(set) var state: IngestState = .idle
    /// The input being ingested, nil when stopped.
    public private(set) var source: IngestSource?
    /// What the current session copies and transcodes, and the renditions it makes (nil before the input opens).
    public private(set) var plan: (plan: MediaPlan, renditions: [RenditionLayout])?
    private let segments: Counter
    private let reconnects: Counter
    private let liveGauge: Gauge
    private let droppedRenditions: Counter

    /// `audioName`: the name people see for the audio track at a position (0: the floor) with a language.
    public init(slug: String, store: SegmentStore, settings: SegmentSettings, audioName: @escaping @Sendable (Int, String?) -> String, logger: Logger) {
        self.slug = slug
        self.store = store
        self.settings = settings
        self.audioName = audioName
        var logger = logger
        logger[metadataKey: "channel"] = "\(slug)"
        self.logger = logger
        segments = Counter(label: "senate_live_segments_total", dimensions: [("channel", slug)])
        reconnects = Counter(label: "senate_live_ingest_failures_total", dimensions: [("channel", slug)])
        liveGauge = Gauge(label: "senate_live_ingest_live", dimensions: [("channel", slug)])
        droppedRenditions = Counter(label: "senate_live_renditions_dropped_total", dimensions: [("channel", slug)])
    }

    /// Starts ingesting `source`, first stopping (and flushing) any current input.
    public func start(_ source: IngestSource) async {
        await switching.withLock {
            await stopLocked()
            startLocked(source)
        }
    }

    private func startLocked(_ source: IngestSource) {
        let ingest = Ingest(source: source, settings: settings, logger: logger)
        self.ingest = ingest
        self.source = source
        pump = Task { [weak self] in
            for await event in ingest.events { await self?.apply(event) }
        }
        ingest.start()
    }

    /// Waits until the current input ends by itself (a file that does not loop) or is stopped.
    public func finished() async {
        await pump?.value
    }

    /// Stops the input; returns once its last segment is closed.
    public func stop() async {
        await switching.withLock { await stopLocked() }
    }

    private func stopLocked() async {
        guard let ingest, let pump else { return }
        ingest.stop()
        await pump.value
        self.ingest = nil
        self.pump = nil
        self.source = nil
        self.plan = nil
        await store.flush()
    }

    private func apply(_ event: MediaEvent) async {
        switch event {
        case .state(let next):
            if next.name != state.name { logger.info("ingest \(next.name)", metadata: Self.metadata(next)) }
            if case .reconnecting = next { reconnects.increment() }
            state = next
            liveGauge.record(next.name == "live" ? 1 : 0)
        case .sessionStarted(let plan, let renditions):
            self.plan = (plan, renditions)
            let (streams, floor) = describe(renditions)
            await store.beginSession(streams, floorAudio: floor)
        case .initialization(let rendition, let bytes):
            await store.setInitialization(rendition: rendition, bytes: bytes)
        case .part(let rendition, let part):
            await store.appendPart(
                rendition: rendition, duration: part.duration, independent: part.independent,
                programDateTime: part.programDateTime, mediaTime: part.mediaTime, bytes: part.bytes
            )
        case .segmentEnded(let renditions):
            await store.endSegment(renditions)
            if renditions.contains(Rendition.source) { segments.increment() }
        case .renditionDropped(let rendition, let reason):
            logger.warning("rendition dropped from the playlists until the next session", metadata: ["rendition": "\(rendition)", "reason": "\(reason)"])
            droppedRenditions.increment()
            await store.dropRendition(rendition)
        }
    }

    /// What each rendition carries, for the multivariant playlist, and the floor audio of every variant.
    func describe(_ renditions: [RenditionLayout]) -> (streams: [String: StreamDescription], floor: StreamDescription?) {
        var streams: [String: StreamDescription] = [:]
        var floor: StreamDescription?
        var position = 0
        for rendition in renditions {
            let video = rendition.tracks.first { $0.kind == .video }
            let audio = rendition.tracks.first { $0.kind == .audio }
            let audioDescription = audio.map { track -> StreamDescription in
                if rendition.isAlternateAudio { position += 1 }
                return StreamDescription(codecs: [track.codecString], declaredBandwidth: track.bitRate, language: LanguageTag.bcp47(track.language),
                                         name: audioName(rendition.isAlternateAudio ? position : 0, track.language), channels: track.channels,
                                         isAlternateAudio: rendition.isAlternateAudio)
            }
            if floor == nil, !rendition.isAlternateAudio, let audioDescription { floor = audioDescription }
            if let video {
                streams[rendition.name] = StreamDescription(
                    codecs: rendition.tracks.map(\.codecString), width: video.width, height: video.height,
                    frameRate: video.frameRate, declaredBandwidth: rendition.tracks.reduce(0) { $0 + $1.bitRate }
                )
            } else if let audioDescription {
                streams[rendition.name] = audioDescription
            }
        }
        return (streams, floor)
    }

    private static func metadata(_ state: IngestState) -> Logger.Metadata {
        switch state {
        case .connecting(let attempt): ["attempt": "\(attempt)"]
        // The error itself was logged by the ingest when it happened.
        case .reconnecting(let attempt, let retryIn, _): ["attempt": "\(attempt)", "retryIn": "\(retryIn)"]
        case .failed(let lastError): ["error": "\(lastError)"]
        default: [:]
        }
    }
}
