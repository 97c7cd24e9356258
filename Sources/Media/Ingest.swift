import Foundation
import Logging

/// Reads one live input on a dedicated thread and turns it into fMP4 parts and segments.
/// Blocking FFmpeg calls never run on an event loop or the cooperative pool; a stop request interrupts them.
public final class Ingest: Sendable {
    /// Everything the ingest produces, in order. Finishes after `stop()` once the open segment is flushed.
    public let events: IngestEvents
    private let continuation: AsyncStream<MediaEvent>.Continuation
    private let gate = CreditGate(limit: 128)
    private let control = InterruptControl()
    private let source: IngestSource
    private let settings: SegmentSettings
    private let logger: Logger

    public init(source: IngestSource, settings: SegmentSettings, logger: Logger) {
        let (stream, continuation) = AsyncStream.makeStream(of: MediaEvent.self, bufferingPolicy: .unbounded)
        events = IngestEvents(stream: stream, gate: gate)
        self.continuation = continuation
        self.source = source
        self.settings = settings
        self.logger = logger
    }

    /// Starts the reading thread.
    public func start() {
        let worker = IngestWorker(source: source, settings: settings, control: control, logger: logger, output: IngestOutput(continuation: continuation, gate: gate, control: control))
        let thread = Thread { worker.run() }
        thread.name = "ingest"
        thread.start()
    }

    /// Asks the thread to stop; blocked reads are interrupted at once.
    public func stop() { control.requestStop() }
}

/// The loop on the ingest thread: open, read, pace, segment; reconnect with backoff.
private final class IngestWorker: @unchecked Sendable {
    // @unchecked: created on one thread and handed to the ingest thread, which alone uses it from then on.
    private let source: IngestSource
    private let control: InterruptControl
    private let logger: Logger
    private let continuation: IngestOutput
    private let segmenter: Segmenter
    private var machine: IngestStateMachine
    /// Where the next session starts on the output timeline; 1 s in so early audio never goes negative.
    private var timelineEnd: Int64 = 1_000_000

    init(source: IngestSource, settings: SegmentSettings, control: InterruptControl, logger: Logger, output: IngestOutput) {
        self.source = source
        self.machine = IngestStateMachine(maxAttempts: source.maxAttempts)
        self.control = control
        self.logger = logger
        self.continuation = output
        self.segmenter = Segmenter(
            settings: .init(
                partTarget: settings.partTarget, segmentTarget: settings.segmentTarget, audioRendition: settings.audioRendition,
                ladder: settings.ladder, maxAudioTracks: settings.maxAudioTracks, encoderPreset: settings.encoderPreset, sourceBitrate: settings.sourceBitrate
            ),
            logger: logger,
            emit: { output.yield($0) }
        )
    }

    func run() {
        var action = IngestStateMachine.Action.open
        while !control.isStopRequested {
            switch action {
            case .open, .rewind:
                action = runSession()
            case .wait(let delay):
                control.sleep(delay)
                action = .open
            case .finish:
                continuation.yield(.state(machine.state))
                continuation.finish()
                return
            }
        }
        continuation.yield(.state(machine.stopped()))
        continuation.finish()
    }

    /// One input session, from open to end or failure. Returns what to do next.
    private func runSession() -> IngestStateMachine.Action {
        continuation.yield(.state(machine.connecting()))
        let url = redactedURL(source.url)
        do {
            let input = try InputContext(url: source.url, options: source.options, control: control, openTimeout: source.openTimeout)
            let paced = source.pacing == .always || (source.pacing == .auto && input.isSeekableFile)
            logger.info("input opened", metadata: ["url": "\(url)", "paced": "\(paced)"])
            let timeline = PacketTimeline(input: input, startMicros: timelineEnd, stallLimit: max(3, source.readTimeout))
            // A file read as fast as it goes waits for the video encoder; a live input never does.
            try segmenter.begin(input: input, policy: source.transcode, waitForEncoder: !paced && input.isSeekableFile)
            defer {
                segmenter.end()
                timelineEnd = timeline.endMicros
            }
            var pacer = Pacer(enabled: paced)
            var isLive = false
            while true {
                let packet = timeline.freshPacket()
                guard try input.read(into: packet, control: control, timeout: source.readTimeout) else {
                    timeline.recycle(packet)
                    try write(timeline.drain(), timeline, &pacer)
                    let next = machine.endOfInput(isFile: input.isSeekableFile, loops: source.loop)
                    guard next == .rewind else {
                        logger.info("input ended", metadata: ["url": "\(url)"])
                        return next
                    }
                    try input.rewind()
                    timeline.continueAfterLoop()
                    continue
                }
                if !isLive {
                    isLive = true
                    continuation.yield(.state(machine.opened(at: Date())))
                }
                if let ready = try timeline.push(packet) {
                    // A live input's packets were captured when its first bytes arrived, plus their media
                    // time since; a paced file's are "captured" as the pacer releases them.
                    if !paced, let media = timeline.firstSeenSeconds { segmenter.anchorClock(date: input.firstDataAt, media: media) }
                    try write([ready], timeline, &pacer)
                }
            }
        } catch let error as MediaError where error.code == .stopped {
            return .open  // the loop sees the stop request
        } catch let error as MediaError where error.code == .timestampJump || error.code == .streamsChanged {
            // Not a failure: the source is back with a new clock. A new session (new init, a discontinuity)
            // starts at once, without backoff.
            logger.notice(error.code == .streamsChanged ? "the input's streams changed; starting a new session" : "source restarted; starting a new session", metadata: ["url": "\(url)", "detail": "\(error)"])
            return .open
        } catch {
            let next = machine.failed("\(error)")
            logger.error("input failed", metadata: ["url": "\(url)", "error": "\(error)"])
            continuation.yield(.state(machine.state))
            return next
        }
    }

    private func write(_ packets: [PacketTimeline.Timed], _ timeline: PacketTimeline, _ pacer: inout Pacer) throws {
        for timed in packets {
            defer { timeline.recycle(timed.packet) }
            guard pacer.wait(until: timed.dts, control: control) else { throw MediaError(.stopped, "stopped") }
            try segmenter.write(timed)
        }
    }
}

/// The ingest thread's end of `IngestEvents`: waits for a credit before each event, except once stopping
/// (the consumer may be gone, and a stop must never wait on it).
private struct IngestOutput: Sendable {
    let continuation: AsyncStream<MediaEvent>.Continuation
    let gate: CreditGate
    let control: InterruptControl

    func yield(_ event: MediaEvent) {
        _ = gate.acquire { !control.isStopRequested }
        continuation.yield(event)
    }

    func finish() { continuation.finish() }
}
