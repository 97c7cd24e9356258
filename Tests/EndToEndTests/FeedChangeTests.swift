import Foundation
import Testing

extension EndToEnd {
    @Suite("Feed changes mid-sitting")
    struct FeedChanges {
        /// An `ffmpeg -re` UDP publisher of `video` (encoder arguments) and `audio` sine tracks, tagged in order.
        static func publisher(port: Int, size: String, video: [String], languages: [String], audio: [String]) -> [String] {
            var arguments = ["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=\(size):rate=25"]
            for (index, _) in languages.enumerated() { arguments += ["-f", "lavfi", "-i", "sine=frequency=\(440 * (index + 1)):sample_rate=48000"] }
            arguments += ["-map", "0"] + languages.indices.flatMap { ["-map", "\($0 + 1)"] }
            arguments += video + audio + ["-ac", "2", "-g", "25"]
            for (index, language) in languages.enumerated() { arguments += ["-metadata:s:a:\(index)", "language=\(language)"] }
            return arguments + ["-t", "60", "-f", "mpegts", "udp://127.0.0.1:\(port)?pkt_size=1316"]
        }

        @Test("the feed switches codec, size and audio tracks (H.264 + one track → MPEG-2 576i + two MP2 → H.264 + one): a new plan each time, the interpretation comes and goes, the server keeps serving")
        func codecSizeAndTracksChange() async throws {
            let port = try Spawn.freePort()
            let server = try ServerProcess(environment: EndToEnd.liveEnvironment(input: "udp://127.0.0.1:\(port)?overrun_nonfatal=1&fifo_size=1000000", loop: false, extra: [
                "SENATE_LIVE_CHANNEL_SENATE_READ_TIMEOUT": "2", "SENATE_LIVE_CHANNEL_SENATE_OPEN_TIMEOUT": "5", "SENATE_LIVE_LADDER": "",
            ]))
            defer { server.stop() }
            let live = server.baseURL + "/live/senate"
            let h264 = ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency"], aac = ["-c:a", "aac"]

            var encoder = try Tool.start("ffmpeg", Self.publisher(port: port, size: "320x240", video: h264, languages: ["tha"], audio: aac))
            defer { encoder.kill9() }
            _ = try await HTTP.waitFor(live + "/index.m3u8", timeout: 40) { $0.contains("RESOLUTION=320x240") }
            encoder.kill9()

            encoder = try Tool.start("ffmpeg", Self.publisher(port: port, size: "720x576", video: ["-c:v", "mpeg2video", "-b:v", "3M", "-flags", "+ilme+ildct", "-top", "1"],
                                                             languages: ["tha", "eng"], audio: ["-c:a", "mp2"]))
            let dvb = try await HTTP.waitFor(live + "/index.m3u8", timeout: 40) { $0.contains("RESOLUTION=720x576") && $0.contains("audio2/index.m3u8") }
            #expect(!dvb.contains("mpeg2video") && !dvb.contains("mp2") && dvb.contains("mp4a.40.2"), "\(dvb)")
            let input = try await HTTP.get(server.baseURL + "/api/v1/channels/senate/input").text
            #expect(input.contains("\"codec\":\"mpeg2video\"") && input.contains("\"action\":\"transcode\""), "\(input)")
            let source = try await HTTP.waitFor(live + "/source/index.m3u8", timeout: 30) { text in
                guard let cut = text.range(of: "#EXT-X-DISCONTINUITY\n", options: .backwards) else { return false }
                return PlaylistText(text: String(text[cut.upperBound...])).segments.count >= 1
            }
            let map = try #require(EndToEnd.currentMap(source))
            let newest = try #require(PlaylistText(text: source).segments.last)
            #expect(try await EndToEnd.probe(live, rendition: "source", initialization: map, file: "\(newest).m4s").codecs.sorted() == ["aac", "h264"])
            encoder.kill9()

            encoder = try Tool.start("ffmpeg", Self.publisher(port: port, size: "320x240", video: h264, languages: ["tha"], audio: aac))
            let back = try await HTTP.waitFor(live + "/index.m3u8", timeout: 40) { $0.contains("RESOLUTION=320x240") }
            #expect(!back.contains("audio2/"), "the interpretation track is gone with the feed that carried it:\n\(back)")
            #expect(try await HTTP.get(server.baseURL + "/readyz").status == 200)
            #expect(server.process.isRunning)
        }
    }
}
