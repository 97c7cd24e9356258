import ArgumentParser
import Foundation
import HLS
import LiveOrigin
import Media
import NIOCore
import Server

/// `senate-live package INPUT --output DIR`: remuxes a file, as fast as it reads, into fMP4 HLS (VOD),
/// through the same ingest, segmenter and store as the live path. Used by the remux benchmark.
struct PackageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "package", abstract: "Remux a file into fMP4 HLS (VOD) without re-encoding.")

    @Argument(help: "Input file or URL.")
    var input: String

    @Option(name: .long, help: "Output folder.")
    var output: String

    @Option(name: .long, help: "Segment target in seconds.")
    var segmentTarget = 4.0

    @Option(name: .long, help: "Part target in seconds.")
    var partTarget = 0.5

    @Flag(name: .long, help: "Skip the audio-only rendition.")
    var noAudioRendition = false

    @Option(name: .long, help: "auto (copy what players take, transcode the rest), always or never.")
    var transcode = "auto"

    @Option(name: .long, help: "Ladder rungs name:height:bitsPerSecond, comma-separated (360p:360:600000).")
    var ladder = ""

    @Option(name: .long, help: "libx264 preset of encoded video.")
    var preset = "veryfast"

    func run() async throws {
        let logger = makeLogger(level: "warning")
        guard let policy = TranscodePolicy(rawValue: transcode) else { throw ValidationError("--transcode: one of auto, always, never") }
        var hls = ServerConfiguration.HLS()
        hls.partTarget = partTarget
        hls.segmentTarget = segmentTarget
        hls.audioRendition = !noAudioRendition
        hls.ladder = try ServerConfiguration.ladder(ladder)
        hls.encoderPreset = preset
        let renditions = Rendition.all(ladder: hls.ladder, maxAudioTracks: hls.maxAudioTracks)
        let root = URL(fileURLWithPath: output)
        let disk = SegmentDisk(root: root)
        let store = SegmentStore(
            channel: "package", renditions: renditions,
            configuration: .init(partTarget: partTarget, segmentTarget: segmentTarget, memorySegments: 3), disk: disk
        )
        let channel = LiveChannel(slug: "package", store: store, settings: hls.segmentSettings, audioName: hls.audioName, logger: logger)
        await channel.start(IngestSource(url: input, pacing: .never, loop: false, maxAttempts: 1, transcode: policy))
        await channel.finished()
        if case .failed(let error) = await channel.state {
            throw ValidationError("cannot package \(input): \(error)")
        }
        await disk.flush()
        for rendition in renditions where await store.isServing(rendition) {
            let playlist = VODPlaylist.render(disk.index(rendition: rendition))
            try playlist.write(to: disk.directory(rendition).appendingPathComponent("index.m3u8"), atomically: true, encoding: .utf8)
        }
        let multivariant = try await store.multivariantPlaylist()
        try multivariant.write(to: root.appendingPathComponent("index.m3u8"), atomically: true, encoding: .utf8)
    }
}
