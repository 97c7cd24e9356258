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
    public let slug: String
    public let store: SegmentStore
    private let settings: SegmentSettings
    private let logger: Logger
    private var ingest: Ingest?
    private var pump: Task<Void, Never>?
    /// Start and stop run one at a time: overlapping PUT/DELETE requests never leave an input orphaned.
    private let switching = AsyncLock()
    public private(set) var state: IngestState = .idle
    /// The input being ingested, nil when stopped.
    public private(set) var source: IngestSource?
    private let segments: Counter
    private let reconnects: Counter
    private let liveGauge: Gauge

    public init(slug: String, store: SegmentStore, settings: SegmentSettings, logger: Logger) {
        self.slug = slug
        self.store = store
        self.settings = settings
        var logger = logger
        logger[metadataKey: "channel"] = "\(slug)"
        self.logger = logger
        segments = Counter(label: "senate_live_segments_total", dimensions: [("channel", slug)])
        reconnects = Counter(label: "senate_live_ingest_failures_total", dimensions: [("channel", slug)])
        liveGauge = Gauge(label: "senate_live_ingest_live", dimensions: [("channel", slug)])
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
        await store.flush()
    }

    private func apply(_ event: MediaEvent) async {
        switch event {
        case .state(let next):
            if next.name != state.name { logger.info("ingest \(next.name)", metadata: Self.metadata(next)) }
            if case .reconnecting = next { reconnects.increment() }
            state = next
            liveGauge.record(next.name == "live" ? 1 : 0)
        case .sessionStarted(let tracks):
            await store.beginSession(Self.describe(tracks, audioRendition: settings.audioRendition))
        case .initialization(let rendition, let bytes):
            await store.setInitialization(rendition: rendition.rawValue, bytes: bytes)
        case .part(let rendition, let part):
            await store.appendPart(
                rendition: rendition.rawValue, duration: part.duration, independent: part.independent,
                programDateTime: part.programDateTime, mediaTime: part.mediaTime, bytes: part.bytes
            )
        case .segmentEnded:
            await store.endSegment()
            segments.increment()
        }
    }

    /// What each rendition carries, for the multivariant playlist.
    static func describe(_ tracks: [MediaTrack], audioRendition: Bool) -> [String: StreamDescription] {
        let video = tracks.first { $0.kind == .video }
        let audio = tracks.first { $0.kind == .audio }
        var streams: [String: StreamDescription] = [
            Rendition.source.rawValue: StreamDescription(
                codecs: tracks.map(\.codecString), width: video?.width, height: video?.height,
                frameRate: video?.frameRate, declaredBandwidth: tracks.reduce(0) { $0 + $1.bitRate }
            ),
        ]
        if audioRendition, let audio {
            streams[Rendition.audio.rawValue] = StreamDescription(codecs: [audio.codecString], declaredBandwidth: audio.bitRate)
        }
        return streams
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
