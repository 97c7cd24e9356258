import ArgumentParser
import Foundation
import HLS
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

    func run() async throws {
        let logger = makeLogger(level: "warning")
        let renditions = noAudioRendition ? [Rendition.source] : Rendition.allCases
        let root = URL(fileURLWithPath: output)
        let disk = SegmentDisk(root: root)
        let store = SegmentStore(
            channel: "package", renditions: renditions.map(\.rawValue),
            configuration: .init(partTarget: partTarget, segmentTarget: segmentTarget, memorySegments: 3), disk: disk
        )
        let settings = SegmentSettings(partTarget: partTarget, segmentTarget: segmentTarget, audioRendition: !noAudioRendition)
        let channel = LiveChannel(slug: "package", store: store, settings: settings, logger: logger)
        await channel.start(IngestSource(url: input, pacing: .never, loop: false, maxAttempts: 1))
        await channel.finished()
        if case .failed(let error) = await channel.state {
            throw ValidationError("cannot package \(input): \(error)")
        }
        await disk.flush()
        for rendition in renditions {
            let playlist = VODPlaylist.render(disk.index(rendition: rendition.rawValue))
            try playlist.write(to: disk.directory(rendition.rawValue).appendingPathComponent("index.m3u8"), atomically: true, encoding: .utf8)
        }
        let multivariant = try await store.multivariantPlaylist()
        try multivariant.write(to: root.appendingPathComponent("index.m3u8"), atomically: true, encoding: .utf8)
    }
}
