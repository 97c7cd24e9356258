import Foundation
import Testing

extension EndToEnd {
    @Suite("Serving")
    struct Serving {
        @Test("paths that try to leave the media folder get 404 and read nothing")
        func pathTraversal() async throws {
            let server = try ServerProcess(environment: EndToEnd.liveEnvironment(input: try Fixtures.clip().path))
            defer { server.stop() }
            try "top secret".write(to: server.dataDirectory.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)
            _ = try await HTTP.waitFor(server.baseURL + "/live/senate/source/index.m3u8") { PlaylistText(text: $0).segments.count >= 1 }

            let attempts = [
                "/live/senate/source/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
                "/live/senate/source/../../../../../../etc/passwd",
                "/live/senate/../../../../../etc/passwd",
                "/live/..%2F..%2F..%2Fetc/source/passwd",
                "/live/senate/source/%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret.txt",
                "/live/senate/source/..%2F..%2F..%2Fsecret.txt",
                "/live/senate/..%2F..%2F..%2Fsecret.txt/index.m3u8",
                "/live/senate/source/init-..%2F..%2Fx.mp4",
                "/live/senate/source/-1.m4s",
                "/live/senate/source/1.-1.m4s",
                "/live/senate/source/0x1.m4s",
                "/live/senate/source/99999999999999999999.m4s",
                "/live/senate/source/segments.jsonl",
            ]
            for path in attempts {
                let body = Fixtures.folder.appendingPathComponent("body-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: body) }
                let result = try Tool.run("curl", ["-s", "--path-as-is", "-o", body.path, "-w", "%{http_code}", server.baseURL + path])
                let text = (try? String(contentsOf: body, encoding: .utf8)) ?? ""
                #expect(result.stdout == "404" || result.stdout == "400", "\(path) → \(result.stdout)")
                #expect(!text.contains("root:") && !text.contains("top secret"), "\(path) leaked: \(text.prefix(200))")
            }
            #expect(server.process.isRunning)
        }

        @Test("content types, cache policy, CORS, health, readiness and metrics")
        func headersAndOperations() async throws {
            let server = try ServerProcess(environment: EndToEnd.liveEnvironment(input: try Fixtures.clip().path))
            defer { server.stop() }
            let base = server.baseURL + "/live/senate"
            let text = try await HTTP.waitFor(base + "/source/index.m3u8") { PlaylistText(text: $0).segments.count >= 1 }
            let segment = try #require(PlaylistText(text: text).segments.first)

            let playlist = try await HTTP.get(base + "/source/index.m3u8", headers: ["Origin": "https://agency.example"])
            #expect(playlist.header("Content-Type") == "application/vnd.apple.mpegurl")
            #expect(playlist.header("Cache-Control") == "public, max-age=1")
            #expect(playlist.header("Access-Control-Allow-Origin") == "*")
            let media = try await HTTP.get("\(base)/source/\(segment).m4s")
            #expect(media.header("Content-Type") == "video/iso.segment")
            #expect(media.header("Cache-Control") == "public, max-age=31536000, immutable")
            #expect(try await HTTP.get(base + "/source/999999.m4s").status == 404)
            #expect(try await HTTP.get(server.baseURL + "/live/nosuch/index.m3u8").status == 404)
            #expect(try await HTTP.get(base + "/video/index.m3u8").status == 404)

            #expect(try await HTTP.get(server.baseURL + "/healthz").status == 200)
            let ready = try await HTTP.get(server.baseURL + "/readyz")
            #expect(ready.status == 200 && ready.text.contains("\"senate\":\"live\""))
            let metrics = try await HTTP.get(server.baseURL + "/metrics")
            #expect(metrics.text.contains("senate_live_segments_total{channel=\"senate\"}"))
            #expect(metrics.text.contains("senate_live_ingest_live{channel=\"senate\"} 1"))
        }

        @Test("SIGTERM drains to disk; a restart continues numbering so no URL is reused")
        func shutdownAndRestart() async throws {
            let clip = try Fixtures.clip().path
            let first = try ServerProcess(environment: EndToEnd.liveEnvironment(input: clip))
            let url = first.baseURL + "/live/senate/source/index.m3u8"
            let text = try await HTTP.waitFor(url) { PlaylistText(text: $0).segments.count >= 2 }
            let lastBefore = try #require(PlaylistText(text: text).segments.last)
            #expect(first.stop() == 0, "graceful exit")
            let folder = first.dataDirectory.appendingPathComponent("media/senate/source")
            let index = try String(contentsOf: folder.appendingPathComponent("segments.jsonl"), encoding: .utf8)
            let onDisk = index.split(separator: "\n").count
            #expect(onDisk >= lastBefore + 2, "the open segment was closed and written on shutdown (\(onDisk) on disk)")
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("\(onDisk - 1).m4s").path))

            let second = try ServerProcess(environment: EndToEnd.liveEnvironment(input: clip), dataDirectory: first.dataDirectory)
            defer { second.stop() }
            let again = try await HTTP.waitFor(second.baseURL + "/live/senate/source/index.m3u8") { PlaylistText(text: $0).segments.count >= 1 }
            #expect(PlaylistText(text: again).segments.first! >= onDisk)
            #expect(EndToEnd.currentMap(again) == "init-1.mp4")
            // The segments of the first run are still served, from disk.
            #expect(try await HTTP.get(second.baseURL + "/live/senate/source/0.m4s").status == 200)
        }
    }
}
