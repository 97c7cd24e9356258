import Foundation
import Testing

extension EndToEnd {
    @Suite("Low-latency playback")
    struct LowLatencyEndToEnd {
        static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts")

        @Test("the bundled LL-HLS player in Chromium: starts on a young stream, follows parts with blocking reloads, switches renditions and survives UDP, RTMP and SRT flaps without going back in time")
        func lowLatencyPlayer() throws {
            let server = try ServerProcess(environment: EndToEnd.RelayEndToEnd.environment(["SENATE_LIVE_CHANNELS": "senate"]))
            defer { server.stop() }
            let run = try Tool.run("python3", [Self.scripts.appendingPathComponent("lowlatency_check.py").path, server.baseURL, try EndToEnd.RelayEndToEnd.token()], timeout: 400)
            #expect(run.succeeded, "\(run.stderr)\n\(run.stdout)\nserver log:\n\(server.log.suffix(4000))")
            print("low-latency check: \(run.stdout)")
        }

        @Test("HTTPS with HTTP/2: curl sees HTTP/2, Chromium plays over it and follows events over SSE")
        func http2WithTLS() async throws {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let (certificate, key) = try SelfSigned.make(in: folder)
            let server = try ServerProcess(environment: EndToEnd.RelayEndToEnd.environment(EndToEnd.liveEnvironment(input: try Fixtures.clip().path, extra: [
                "SENATE_LIVE_CHANNELS": "senate", "SENATE_LIVE_TLS_PORT": "0",
                "SENATE_LIVE_TLS_CERTIFICATE": certificate.path, "SENATE_LIVE_TLS_KEY": key.path,
            ])))
            defer { server.stop() }
            let secure = try server.secureURL()
            _ = try await HTTP.waitFor(server.baseURL + "/live/senate/source/index.m3u8") { PlaylistText(text: $0).segments.count >= 2 }
            let version = try Tool.run("curl", ["-sk", "--http2", "-o", "/dev/null", "-w", "%{http_version} %{http_code}", secure + "/live/senate/source/index.m3u8"])
            #expect(version.stdout == "2 200", "\(version.stdout) \(version.stderr)")
            // Without ALPN h2 the same port answers HTTP/1.1.
            let plain = try Tool.run("curl", ["-sk", "--http1.1", "-o", "/dev/null", "-w", "%{http_version} %{http_code}", secure + "/healthz"])
            #expect(plain.stdout == "1.1 200", "\(plain.stdout) \(plain.stderr)")
            let run = try Tool.run("python3", [Self.scripts.appendingPathComponent("tls_check.py").path, secure, server.baseURL, try EndToEnd.RelayEndToEnd.token()], timeout: 120)
            #expect(run.succeeded, "\(run.stderr)\n\(run.stdout)\nserver log:\n\(server.log.suffix(3000))")
        }

        @Test("a delta update (_HLS_skip=YES) skips old segments, keeps numbering, and python m3u8 reads it")
        func deltaUpdates() async throws {
            let server = try ServerProcess(environment: EndToEnd.liveEnvironment(input: try Fixtures.clip().path, extra: ["SENATE_LIVE_SEGMENT_TARGET": "1", "SENATE_LIVE_WINDOW": "12"]))
            defer { server.stop() }
            let url = server.baseURL + "/live/senate/source/index.m3u8"
            _ = try await HTTP.waitFor(url, timeout: 40) { PlaylistText(text: $0).segments.count >= 9 }
            let delta = try await HTTP.get(url + "?_HLS_skip=YES").text
            #expect(delta.contains("#EXT-X-VERSION:9") && delta.contains("CAN-SKIP-UNTIL=6.000"))
            let run = try Tool.run("python3", ["-c", """
                import json, sys, m3u8
                full, delta = m3u8.load(sys.argv[1]), m3u8.load(sys.argv[1] + "?_HLS_skip=YES")
                print(json.dumps({"fullSequence": full.media_sequence, "fullSegments": len([s for s in full.segments if s.uri]),
                                  "deltaSequence": delta.media_sequence, "skipped": delta.skip.skipped_segments if delta.skip else 0,
                                  "deltaSegments": len([s for s in delta.segments if s.uri]), "deltaFirst": delta.segments[0].uri}))
                """, url])
            try #require(run.succeeded, "\(run.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let skipped = report["skipped"] as? Int ?? 0, sequence = report["deltaSequence"] as? Int ?? -1
            #expect(skipped > 0, "\(report)")
            #expect(report["deltaFirst"] as? String == "\(sequence + skipped).m4s", "the first listed segment follows the skipped ones: \(report)")
            // The two loads may straddle a segment's end: the totals agree within that one segment.
            let total = skipped + (report["deltaSegments"] as? Int ?? 0), full = report["fullSegments"] as? Int ?? 0
            #expect(abs(total - full) <= 1 && abs(sequence - (report["fullSequence"] as? Int ?? 0)) <= 1, "\(report)")
            let read = try Tool.run("ffmpeg", ["-v", "error", "-i", url, "-t", "3", "-c", "copy", "-f", "null", "-"])
            #expect(read.succeeded && read.stderr.isEmpty, "\(read.stderr)")
        }
    }
}
