import Foundation
import Testing

extension EndToEnd {
    @Suite("Ingest faults")
    struct IngestFaults {
        @Test("a live UDP source killed and restarted: old media stays served, then a discontinuity and new segments")
        func sourceKilledAndRestarted() async throws {
            let port = Int.random(in: 31000...39000)
            let server = try ServerProcess(environment: EndToEnd.liveEnvironment(
                input: "udp://127.0.0.1:\(port)", loop: false,
                extra: ["SENATE_LIVE_CHANNEL_SENATE_READ_TIMEOUT": "1.5", "SENATE_LIVE_CHANNEL_SENATE_OPEN_TIMEOUT": "3"]
            ))
            defer { server.stop() }
            let url = server.baseURL + "/live/senate/source/index.m3u8"

            let first = try Tool.start("ffmpeg", Fixtures.udpPublisher(port: port))
            defer { first.kill9() }
            let before = try await HTTP.waitFor(url, timeout: 40) { PlaylistText(text: $0).segments.count >= 2 }
            first.kill9()
            let oldSegment = try #require(PlaylistText(text: before).segments.first)

            // While the source is down, the server says so in its log and keeps serving what it has.
            try await waitForLog(server, "input failed")
            #expect(server.log.contains("media.timed_out"))
            #expect(try await HTTP.get(url).status == 200)
            #expect(try await HTTP.get(server.baseURL + "/live/senate/source/\(oldSegment).m4s").status == 200)
            #expect(try await HTTP.get(server.baseURL + "/healthz").status == 200)

            let second = try Tool.start("ffmpeg", Fixtures.udpPublisher(port: port))
            defer { second.kill9() }
            let after = try await HTTP.waitFor(url, timeout: 40) { text in
                guard let cut = text.range(of: "#EXT-X-DISCONTINUITY\n") else { return false }
                return PlaylistText(text: String(text[cut.upperBound...])).segments.count >= 1
            }
            let map = try #require(EndToEnd.currentMap(after))
            #expect(map != "init-0.mp4", "a new session has its own initialization section")
            let cut = try #require(after.range(of: "#EXT-X-DISCONTINUITY\n"))
            let newSegment = try #require(PlaylistText(text: String(after[cut.upperBound...])).segments.first)
            #expect(newSegment > oldSegment)
            let probe = try await EndToEnd.probe(server.baseURL + "/live/senate", rendition: "source", initialization: map, file: "\(newSegment).m4s")
            #expect(probe.codecs.sorted() == ["aac", "h264"])
        }

        @Test("garbage bytes and truncated files as input: clear errors in the log, no crash, server keeps answering")
        func badFiles() async throws {
            let garbage = try Fixtures.garbage()
            let truncatedPlayable = try Fixtures.truncated(try Fixtures.clip(seconds: 6, faststart: true), fraction: 0.6, name: "cut-fast.mp4")
            let truncatedNoIndex = try Fixtures.truncated(try Fixtures.clip(seconds: 6, faststart: false), fraction: 0.6, name: "cut-plain.mp4")
            let server = try ServerProcess(environment: [
                "SENATE_LIVE_CHANNELS": "junk,cut,nomoov",
                "SENATE_LIVE_CHANNEL_JUNK_INPUT": garbage.path,
                "SENATE_LIVE_CHANNEL_CUT_INPUT": truncatedPlayable.path,
                "SENATE_LIVE_CHANNEL_CUT_LOOP": "true",
                "SENATE_LIVE_CHANNEL_NOMOOV_INPUT": truncatedNoIndex.path,
                "SENATE_LIVE_SEGMENT_TARGET": "2",
            ])
            defer { server.stop() }

            try await waitForLog(server, "garbage.mp4")
            try await waitForLog(server, "cut-plain.mp4")
            let failures = server.log.split(separator: "\n").filter { $0.contains("input failed") }
            #expect(failures.contains { $0.contains("garbage.mp4") && $0.contains("media.open_failed") })
            #expect(failures.contains { $0.contains("cut-plain.mp4") && $0.contains("media.open_failed") })

            // What the truncated file holds is still served.
            _ = try await HTTP.waitFor(server.baseURL + "/live/cut/source/index.m3u8") { PlaylistText(text: $0).segments.count >= 1 }
            let junk = try await HTTP.get(server.baseURL + "/live/junk/index.m3u8")
            #expect(junk.status == 503)
            #expect(junk.text.contains("\"code\":\"hls.not_ready\""))
            #expect(try await HTTP.get(server.baseURL + "/healthz").status == 200)
            let ready = try await HTTP.get(server.baseURL + "/readyz")
            #expect(ready.text.contains("\"junk\":\"reconnecting\"") || ready.text.contains("\"junk\":\"connecting\""))
            #expect(server.process.isRunning)
        }

        private func waitForLog(_ server: ServerProcess, _ text: String, timeout: Double = 20) async throws {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if server.log.contains(text) { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            Issue.record("log never showed '\(text)':\n\(server.log.suffix(3000))")
            throw FixtureError(message: "log never showed \(text)")
        }
    }
}
