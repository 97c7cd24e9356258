import Foundation
import Testing

extension EndToEnd {
    @Suite("Live HLS")
    struct LiveHLS {
        @Test("segments and parts are fMP4 with H.264 + AAC at their target durations; audio rendition is AAC only")
        func mediaIsValid() async throws {
            let server = try ServerProcess(environment: EndToEnd.liveEnvironment(input: try Fixtures.clip().path))
            defer { server.stop() }
            let base = server.baseURL + "/live/senate"
            let text = try await HTTP.waitFor(base + "/source/index.m3u8") { PlaylistText(text: $0).segments.count >= 3 }
            let playlist = PlaylistText(text: text)
            let map = try #require(EndToEnd.currentMap(text))

            #expect(text.contains("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12.000,PART-HOLD-BACK="))
            #expect(text.contains("#EXT-X-PART-INF:PART-TARGET=0.500"))
            #expect(playlist.count("#EXT-X-PROGRAM-DATE-TIME:") >= playlist.segments.count)
            #expect(playlist.preloadHint != nil)
            #expect(text.contains("#EXT-X-RENDITION-REPORT:URI=\"../audio/index.m3u8\""))

            for msn in playlist.segments.prefix(3) {
                let probe = try await EndToEnd.probe(base, rendition: "source", initialization: map, file: "\(msn).m4s")
                #expect(probe.codecs.sorted() == ["aac", "h264"])
                #expect(abs(probe.duration - 2.0) < 0.15, "segment \(msn) lasts \(probe.duration) s")
            }
            for part in playlist.parts.suffix(4) {
                #expect(part.duration <= 0.5 + 0.001)
                let probe = try await EndToEnd.probe(base, rendition: "source", initialization: map, file: "\(part.msn).\(part.index).m4s")
                #expect(probe.codecs.contains("h264"))
                #expect(probe.duration <= 0.6, "part \(part.msn).\(part.index) lasts \(probe.duration) s")
            }

            let audioText = try await HTTP.waitFor(base + "/audio/index.m3u8") { PlaylistText(text: $0).segments.count >= 2 }
            let audioMap = try #require(EndToEnd.currentMap(audioText))
            let audioSegment = try #require(PlaylistText(text: audioText).segments.last)
            let audio = try await EndToEnd.probe(base, rendition: "audio", initialization: audioMap, file: "\(audioSegment).m4s")
            #expect(audio.codecs == ["aac"])
            #expect(abs(audio.duration - 2.0) < 0.15)

            let current = try await HTTP.get(base + "/source/init.mp4")
            #expect(current.status == 200 && current.header("Content-Type") == "video/mp4")
        }

        @Test("an independent parser (python m3u8) reads the multivariant and media playlists")
        func independentParserAgrees() async throws {
            let server = try ServerProcess(environment: EndToEnd.liveEnvironment(input: try Fixtures.clip().path))
            defer { server.stop() }
            let base = server.baseURL + "/live/senate"
            _ = try await HTTP.waitFor(base + "/audio/index.m3u8") { PlaylistText(text: $0).segments.count >= 3 }

            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/check_playlists.py")
            let result = try Tool.run("python3", [script.path, base + "/index.m3u8"])
            try #require(result.succeeded, "m3u8 parser failed: \(result.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let variants = try #require(report["variants"] as? [[String: Any]])
            #expect(variants.map { $0["uri"] as? String } == ["source/index.m3u8", "audio/index.m3u8"])
            #expect((variants[0]["codecs"] as? String)?.contains("avc1.") == true)
            #expect((variants[0]["codecs"] as? String)?.contains("mp4a.40.2") == true)
            #expect(variants[1]["codecs"] as? String == "mp4a.40.2")
            #expect(variants[0]["resolution"] as? [Int] == [320, 240])

            let media = try #require(report["media"] as? [String: [String: Any]])
            for (uri, summary) in media {
                let segments = summary["segments"] as? Int ?? 0
                #expect(segments >= 3, "\(uri)")
                #expect(summary["segmentsWithDateTime"] as? Int == segments, "\(uri): every segment has a program date time")
                #expect(summary["canBlockReload"] as? Bool == true)
                #expect(summary["partTarget"] as? Double == 0.5)
                #expect(summary["preloadHint"] as? String != nil)
                #expect((summary["parts"] as? Int ?? 0) > 0)
                #expect((summary["maxPartDuration"] as? Double ?? 9) <= 0.501)
                #expect((summary["renditionReports"] as? [String])?.isEmpty == false)
                #expect(summary["isEndlist"] as? Bool == false)
            }
        }

        @Test("ffmpeg reads the live stream over HTTP without errors")
        func ffmpegReadsLive() async throws {
            let server = try ServerProcess(environment: EndToEnd.liveEnvironment(input: try Fixtures.clip().path))
            defer { server.stop() }
            let base = server.baseURL + "/live/senate"
            _ = try await HTTP.waitFor(base + "/source/index.m3u8") { PlaylistText(text: $0).segments.count >= 3 }

            let output = Fixtures.folder.appendingPathComponent("read-\(UUID().uuidString).ts")
            defer { try? FileManager.default.removeItem(at: output) }
            let result = try Tool.run("ffmpeg", ["-hide_banner", "-v", "error", "-i", base + "/index.m3u8", "-t", "8", "-c", "copy", "-y", output.path], timeout: 60)
            #expect(result.succeeded, "ffmpeg: \(result.stderr)")
            #expect(result.stderr.isEmpty, "ffmpeg reported: \(result.stderr)")
            let probe = try Probe.file(output.path)
            #expect(probe.codecs.contains("h264") && probe.codecs.contains("aac"))
            #expect(probe.duration > 7.5, "read \(probe.duration) s")
        }
    }
}
