import Foundation
import Testing

extension EndToEnd {
    @Suite("Caching edge")
    struct EdgeEndToEnd {
        /// nginx with `config/nginx-edge.conf`, its origin and listen port and cache folder rewritten.
        final class Edge: @unchecked Sendable {
            let port: Int
            /// The HTTPS + HTTP/2 listener (a self-signed certificate made here).
            let securePort: Int
            let config: URL
            let folder: URL

            init(origin: Int) throws {
                folder = FileManager.default.temporaryDirectory.appendingPathComponent("edge-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let port = try Spawn.freePort()
                self.port = port
                let securePort = try Spawn.freePort()
                self.securePort = securePort
                let (certificate, key) = try SelfSigned.make(in: folder)
                let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent().appendingPathComponent("config/nginx-edge.conf")
                let text = try String(contentsOf: shipped, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                    if line.contains("# EDGE-ORIGIN") { return "        server 127.0.0.1:\(origin);" }
                    if line.contains("# EDGE-LISTEN") { return "        listen 127.0.0.1:\(port);" }
                    if line.contains("# EDGE-TLS-LISTEN") { return "        listen 127.0.0.1:\(securePort) ssl http2;" }
                    if line.contains("# EDGE-TLS-CERT") { return "        ssl_certificate \(certificate.path);" }
                    if line.contains("# EDGE-TLS-KEY") { return "        ssl_certificate_key \(key.path);" }
                    return String(line)
                }.joined(separator: "\n")
                config = folder.appendingPathComponent("nginx.conf")
                try text.write(to: config, atomically: true, encoding: .utf8)
                // nginx daemonizes: the command returns once the master runs; `-s stop` ends it.
                guard Edge.nginx(["-p", folder.path + "/", "-c", config.path]) == 0 else {
                    throw FixtureError(message: "nginx did not start: \((try? String(contentsOf: folder.appendingPathComponent("error.log"), encoding: .utf8)) ?? "")")
                }
                let deadline = Date().addingTimeInterval(10)
                while Date() < deadline {
                    if (try? Tool.run("curl", ["-sf", "-o", "/dev/null", "http://127.0.0.1:\(port)/healthz"]))?.succeeded == true { return }
                    Thread.sleep(forTimeInterval: 0.1)
                }
                throw FixtureError(message: "nginx does not answer on \(port)")
            }

            var baseURL: String { "http://127.0.0.1:\(port)" }

            private var stopped = false

            func stop() {
                guard !stopped else { return }
                stopped = true
                _ = Edge.nginx(["-p", folder.path + "/", "-c", config.path, "-s", "stop"])
            }

            deinit { stop() }

            static func nginx(_ arguments: [String]) -> Int32 { Spawn.run("/usr/sbin/nginx", arguments) }
        }

        @Test("ffmpeg reads the live stream through the nginx edge; repeated part requests and blocking reloads come from its cache")
        func throughTheEdge() async throws {
            let server = try ServerProcess(environment: EndToEnd.liveEnvironment(input: try Fixtures.clip().path))
            defer { server.stop() }
            _ = try await HTTP.waitFor(server.baseURL + "/live/senate/source/index.m3u8") { PlaylistText(text: $0).segments.count >= 3 }
            let edge = try Edge(origin: server.port)
            defer { edge.stop() }
            let base = edge.baseURL + "/live/senate"

            let read = try Tool.run("ffmpeg", ["-v", "error", "-i", base + "/index.m3u8", "-t", "6", "-c", "copy", "-f", "null", "-"])
            #expect(read.succeeded && read.stderr.isEmpty, "\(read.stderr)")
            // The edge's HTTPS listener speaks HTTP/2, delta updates included.
            let secure = try Tool.run("curl", ["-sk", "--http2", "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                                               "https://127.0.0.1:\(edge.securePort)/live/senate/source/index.m3u8?_HLS_skip=YES"])
            #expect(secure.stdout == "2 200", "edge over HTTPS: \(secure.stdout) \(secure.stderr)")

            let playlist = PlaylistText(text: try await HTTP.get(base + "/source/index.m3u8").text)
            let part = try #require(playlist.parts.last)
            let url = "\(base)/source/\(part.msn).\(part.index).m4s"
            let first = try await HTTP.get(url)
            let second = try await HTTP.get(url)
            #expect(first.status == 200 && second.status == 200 && first.body == second.body)
            #expect(second.header("X-Cache-Status") == "HIT", "the repeated part came from the edge's cache")

            // Several viewers block on the same next part: one upstream request, the others served from the cache.
            let hint = try #require(playlist.preloadHint)
            let blocking = "\(base)/source/index.m3u8?_HLS_msn=\(hint.msn)&_HLS_part=\(hint.part)"
            let replies = try await withThrowingTaskGroup(of: HTTP.Reply.self) { group in
                for _ in 0..<5 { group.addTask { try await HTTP.get(blocking) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == 200 && $0.text.contains("\(hint.msn).\(hint.part).m4s") })
            let statuses = replies.compactMap { $0.header("X-Cache-Status") }
            #expect(statuses.filter { $0 == "MISS" }.count == 1 && statuses.filter { $0 == "HIT" }.count == 4, "\(statuses)")
            #expect(try await HTTP.get(base + "/source/\(hint.msn).\(hint.part).m4s").status == 200)
        }
    }
}
