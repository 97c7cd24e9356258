import Foundation
import Testing

extension EndToEnd {
    @Suite("Blocking playlist reload")
    struct BlockingReload {
        @Test("a request for the next part returns within part duration + 200 ms of the part being cut")
        func nextPartArrivesPromptly() async throws {
            let server = try ServerProcess(environment: EndToEnd.liveEnvironment(input: try Fixtures.clip().path))
            defer { server.stop() }
            let url = server.baseURL + "/live/senate/source/index.m3u8"
            var text = try await HTTP.waitFor(url) { PlaylistText(text: $0).segments.count >= 2 }

            // Align on a cut: wait for the hinted part once, then time each following hint from there.
            var hint = try #require(PlaylistText(text: text).preloadHint)
            text = try await HTTP.get("\(url)?_HLS_msn=\(hint.msn)&_HLS_part=\(hint.part)").text
            for _ in 0..<8 {
                hint = try #require(PlaylistText(text: text).preloadHint)
                let reply = try await HTTP.get("\(url)?_HLS_msn=\(hint.msn)&_HLS_part=\(hint.part)")
                #expect(reply.status == 200)
                let newest = try #require(PlaylistText(text: reply.text).parts.last)
                // A hint past a segment's last part is answered by part 0 of the next segment.
                #expect(newest.msn == hint.msn && newest.index == hint.part || newest.msn == hint.msn + 1 && newest.index == 0)
                #expect(reply.seconds <= newest.duration + 0.2, "waited \(reply.seconds) s for a \(newest.duration) s part")
                #expect(reply.header("Cache-Control")?.contains("max-age=") == true)
                text = reply.text
            }
        }

        @Test("the preload-hint part is answered as soon as it is cut")
        func preloadHintPartBlocks() async throws {
            let server = try ServerProcess(environment: EndToEnd.liveEnvironment(input: try Fixtures.clip().path))
            defer { server.stop() }
            let base = server.baseURL + "/live/senate/source"
            let text = try await HTTP.waitFor(base + "/index.m3u8") { PlaylistText(text: $0).segments.count >= 2 }
            let hint = try #require(PlaylistText(text: text).preloadHint)
            let reply = try await HTTP.get("\(base)/\(hint.msn).\(hint.part).m4s")
            // A hinted index past the segment's end is never produced (the next segment starts instead): 404.
            #expect(reply.status == 200 || reply.status == 404)
            if reply.status == 200 {
                #expect(!reply.body.isEmpty)
                #expect(reply.seconds <= 0.5 + 0.3)
                #expect(reply.header("Cache-Control") == "public, max-age=31536000, immutable")
            }
        }

        @Test("malformed or far-ahead delivery directives get 400 with a JSON error")
        func badDirectives() async throws {
            let server = try ServerProcess(environment: EndToEnd.liveEnvironment(input: try Fixtures.clip().path))
            defer { server.stop() }
            let url = server.baseURL + "/live/senate/source/index.m3u8"
            let text = try await HTTP.waitFor(url) { PlaylistText(text: $0).segments.count >= 1 }
            let latest = try #require(PlaylistText(text: text).segments.last)

            for query in ["_HLS_msn=\(latest + 10)", "_HLS_part=1", "_HLS_msn=abc", "_HLS_msn=-1", "_HLS_msn=\(latest)&_HLS_part=x"] {
                let reply = try await HTTP.get("\(url)?\(query)")
                #expect(reply.status == 400, "\(query) → \(reply.status)")
                #expect(reply.text.contains("\"code\":\"hls.bad_request\""), "\(query) → \(reply.text)")
                #expect(reply.header("Content-Type")?.hasPrefix("application/json") == true)
            }
        }
    }
}
