import Foundation
import Logging
import NIOCore
import Testing
@testable import Media

/// Runs the real ingest (FFmpeg) on a clip made by `ffmpeg -f lavfi`, unpaced, and checks what it emits.
@Suite("Ingest on a real file")
struct IngestFileTests {
    static func makeClip(seconds: Int) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("media-tests-\(getpid())-\(seconds).mp4").path
        if FileManager.default.fileExists(atPath: path) { return path }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-hide_banner", "-loglevel", "error",
                             "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-f", "lavfi", "-i", "sine=sample_rate=48000",
                             "-t", "\(seconds)", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac", "-y", path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return path
    }

    @Test("a looping file keeps timestamps and program-date-time increasing, with one session")
    func loopingFile() async throws {
        let clip = try Self.makeClip(seconds: 3)
        let ingest = Ingest(source: IngestSource(url: clip, pacing: .never, loop: true), settings: SegmentSettings(partTarget: 0.5, segmentTarget: 1), logger: Logger(label: "test"))
        ingest.start()
        var sessions = 0, segments = 0
        var parts: [MediaPart] = []
        var initialization: [String: [UInt8]] = [:]
        func boxes(_ buffer: ByteBuffer) -> [String] { MP4Boxes.topLevel(Array(buffer.readableBytesView)).map(\.type) }
        for await event in ingest.events {
            switch event {
            case .sessionStarted(let plan, let renditions):
                sessions += 1
                #expect(plan.tracks.map(\.action) == [.copy, .copy])
                #expect(renditions.first?.tracks.map(\.kind) == [.video, .audio])
                #expect(renditions.first?.tracks.first?.codecString.hasPrefix("avc1.") == true)
            case .initialization(let rendition, let bytes): initialization[rendition] = Array(bytes.readableBytesView)
            case .part(Rendition.source, let part): parts.append(part)
            case .segmentEnded:
                segments += 1
                if segments == 10 { ingest.stop() }
            default: break
            }
        }
        #expect(sessions == 1, "looping is not a new session")
        #expect(Set(initialization.keys) == [Rendition.source, Rendition.audio])
        #expect(MP4Boxes.topLevel(initialization[Rendition.source]!).map(\.type) == ["ftyp", "moov"])
        #expect(parts.count >= 20)
        #expect(parts.allSatisfy { $0.duration <= 0.5 + 0.001 && $0.duration > 0 })
        let times = parts.map(\.programDateTime)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 }, "program date time only moves forward across loops")
        for (index, part) in parts.enumerated() where boxes(part.bytes) != ["moof", "mdat"] {
            Issue.record("part \(index) has boxes \(boxes(part.bytes))")
        }
    }

    @Test("MPEG-2 + two MP2 tracks: H.264 source and ladder rung, AAC audio per language, segments in step in every rendition")
    func transcodesBroadcastInput() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("media-tests-\(getpid())-dvb.ts").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=352x288:rate=25",
                             "-f", "lavfi", "-i", "sine=sample_rate=48000", "-f", "lavfi", "-i", "sine=frequency=880:sample_rate=48000", "-t", "4",
                             "-map", "0", "-map", "1", "-map", "2", "-c:v", "mpeg2video", "-flags", "+ilme+ildct", "-top", "1", "-g", "12",
                             "-c:a", "mp2", "-metadata:s:a:0", "language=tha", "-metadata:s:a:1", "language=eng", "-f", "mpegts", "-y", path]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let settings = SegmentSettings(partTarget: 0.5, segmentTarget: 1, ladder: [LadderRung(name: "144p", height: 144, bitrate: 200_000)], encoderPreset: "ultrafast")
        let ingest = Ingest(source: IngestSource(url: path, pacing: .never, maxAttempts: 1), settings: settings, logger: Logger(label: "test"))
        ingest.start()
        var layouts: [RenditionLayout] = []
        var segments: [String: Int] = [:]
        var firstDates: [String: [Date]] = [:]
        var newSegment: Set<String> = []
        for await event in ingest.events {
            switch event {
            case .sessionStarted(let plan, let renditions):
                #expect(plan.tracks.map(\.action) == [.transcode, .transcode, .transcode])
                layouts = renditions
                newSegment = Set(renditions.map(\.name))
            case .part(let name, let part):
                if newSegment.remove(name) != nil { firstDates[name, default: []].append(part.programDateTime) }
            case .segmentEnded(let names):
                for name in names { segments[name, default: 0] += 1; newSegment.insert(name) }
            case .renditionDropped(let name, let reason): Issue.record("\(name) dropped: \(reason)")
            default: break
            }
        }
        #expect(layouts.map(\.name) == ["source", "144p", "audio", "audio2"])
        #expect(layouts.flatMap(\.tracks).allSatisfy { $0.codecString.hasPrefix("avc1.") || $0.codecString == "mp4a.40.2" })
        #expect(layouts.last?.isAlternateAudio == true && layouts.last?.tracks.first?.language == "eng")
        #expect(layouts[1].tracks.first?.height == 144 && layouts[1].tracks.first?.width == 176)
        #expect(segments["source"] ?? 0 >= 3)
        #expect(segments["source"] == segments["144p"] && segments["source"] == segments["audio2"], "\(segments)")
        #expect(firstDates["source"] == firstDates["144p"], "segment N of every video rendition starts at the same program-date-time")
    }

    @Test("a file that does not exist fails with a clear error and, with maxAttempts, gives up")
    func missingFile() async {
        let ingest = Ingest(source: IngestSource(url: "/nonexistent/clip.mp4", maxAttempts: 2), settings: SegmentSettings(), logger: Logger(label: "test"))
        ingest.start()
        var last: IngestState = .idle
        for await event in ingest.events { if case .state(let state) = event { last = state } }
        guard case .failed(let error) = last else { Issue.record("expected failed, got \(last)"); return }
        #expect(error.contains("media.open_failed"))
        #expect(error.contains("/nonexistent/clip.mp4"))
    }
}
