import Foundation
import Testing

extension EndToEnd {
    @Suite("Ladder, rewind while live, clips")
    struct RewindEndToEnd {
        static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts")

        @Test("a ladder rung has the source's segments (same msn → program-date-time, durations within a frame); DVR lists the sitting from its start; a 30 s clip; Chromium rewinds 60 s and comes back")
        func ladderRewindAndClips() async throws {
            let server = try ServerProcess(environment: EndToEnd.RelayEndToEnd.environment(EndToEnd.liveEnvironment(input: try Fixtures.bilingualClip().path, extra: [
                "SENATE_LIVE_CHANNELS": "senate", "SENATE_LIVE_LADDER": "180p:180:300000", "SENATE_LIVE_ENCODER_PRESET": "ultrafast",
            ])))
            defer { server.stop() }
            let live = server.baseURL + "/live/senate"
            _ = try await HTTP.waitFor(live + "/180p/index.m3u8", timeout: 40) { PlaylistText(text: $0).segments.count >= 1 }
            let start = Date()
            _ = try await EndToEnd.RelayEndToEnd.post(server, token: try EndToEnd.RelayEndToEnd.token(), body: [
                ["type": "sitting.started", "at": ArchiveEndToEnd.iso(start), "data": ["title": "การประชุมวุฒิสภา", "chamber": "senate", "number": 9, "scheduledAt": ArchiveEndToEnd.iso(start)]],
                ["type": "agenda.set", "at": ArchiveEndToEnd.iso(start), "data": ["items": [["id": "i1", "number": "1", "title": "ร่างพระราชบัญญัติการศึกษา", "billId": "b-1"]]]],
                ["type": "agenda.item", "at": ArchiveEndToEnd.iso(start), "data": ["itemId": "i1"]],
            ])

            // The multivariant playlist offers the rung with its own resolution and an RFC 6381 codec.
            let multivariant = try await HTTP.get(live + "/index.m3u8").text
            #expect(multivariant.contains("RESOLUTION=240x180") && multivariant.contains("180p/index.m3u8"), "\(multivariant)")
            #expect(multivariant.contains(#"LANGUAGE="en",NAME="ล่ามภาษาอังกฤษ / English interpretation",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="audio2/index.m3u8""#))

            // Chromium: a seek 60 s back plays (picture and sound, and the English interpretation rewound), back
            // to live, the forced low rendition, the language choice (the script waits until 75 s are recorded).
            let run = try Tool.run("python3", [
                Self.scripts.appendingPathComponent("dvr_check.py").path, server.baseURL, "--wait", "75", "--rendition", "180p", "--require-ladder", "--require-languages",
            ], timeout: 420)
            #expect(run.succeeded, "\(run.stderr)\n\(run.stdout)\nserver log:\n\(server.log.suffix(3000))")
            print("dvr check: \(run.stdout)")

            // DVR: from the sitting's start, every rendition with the same segments at the same times.
            let source = PlaylistTimeline(try await HTTP.get(live + "/source/dvr.m3u8").text)
            let rung = PlaylistTimeline(try await HTTP.get(live + "/180p/dvr.m3u8").text)
            let dvr = try await HTTP.get(live + "/source/dvr.m3u8").text
            #expect(dvr.contains("#EXT-X-PLAYLIST-TYPE:EVENT") && !dvr.contains("#EXT-X-ENDLIST"))
            #expect(source.duration >= 70, "DVR holds the sitting so far: \(source.duration) s")
            #expect(try #require(source.entries.first).start <= start.addingTimeInterval(2.5), "DVR starts at the sitting's start")
            let common = Set(source.msns).intersection(rung.msns).sorted()
            #expect(common.count >= source.msns.count - 1, "the rung has every source segment: \(source.msns) vs \(rung.msns)")
            for msn in common {
                let a = source.entries.first { $0.msn == msn }!, b = rung.entries.first { $0.msn == msn }!
                #expect(abs(a.start.timeIntervalSince(b.start)) < 0.001, "segment \(msn): \(a.start) vs \(b.start)")
                #expect(abs(a.duration - b.duration) <= 0.041, "segment \(msn): \(a.duration) s vs \(b.duration) s")
            }
            let map = try #require(EndToEnd.currentMap(try await HTTP.get(live + "/180p/index.m3u8").text))
            let probe = try await EndToEnd.probe(live, rendition: "180p", initialization: map, file: "\(common[common.count / 2]).m4s")
            #expect(probe.codecs.sorted() == ["aac", "h264"])

            // A 30 s clip from 10 s into the sitting: H.264 + AAC, 30 s less at most one GOP, titled by the agenda item.
            let from = try #require(source.entries.first).start.addingTimeInterval(10.3), to = from.addingTimeInterval(30)
            let clip = try await HTTP.get(live + "/clip.mp4?from=\(ArchiveEndToEnd.iso(from))&to=\(ArchiveEndToEnd.iso(to))")
            #expect(clip.status == 200 && clip.header("Content-Type") == "video/mp4", "\(clip.status) \(clip.text.prefix(300))")
            let file = server.dataDirectory.appendingPathComponent("clip-copy.mp4")
            try clip.body.write(to: file)
            let info = try Tool.run("ffprobe", ["-v", "error", "-show_entries", "format=duration:format_tags=title:stream=codec_name:stream_tags=language", "-of", "json", file.path])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
            let format = try #require(json["format"] as? [String: Any])
            let duration = Double(format["duration"] as? String ?? "") ?? 0
            #expect(duration > 29 - 0.05 && duration <= 30.05, "the clip lasts \(duration) s (it starts at the first keyframe at or after from; GOP 1 s)")
            #expect((format["tags"] as? [String: Any])?["title"] as? String == "1. ร่างพระราชบัญญัติการศึกษา")
            let streams = (json["streams"] as? [[String: Any]]) ?? []
            #expect(streams.compactMap { $0["codec_name"] as? String } == ["h264", "aac", "aac"], "both languages are in the clip")
            #expect(streams.compactMap { ($0["tags"] as? [String: Any])?["language"] as? String }.suffix(2) == ["tha", "eng"])

            // Bad clip requests: a clear 400, never an export.
            for query in ["from=\(ArchiveEndToEnd.iso(to))&to=\(ArchiveEndToEnd.iso(from))", "from=yesterday&to=now",
                          "from=\(ArchiveEndToEnd.iso(from))&to=\(ArchiveEndToEnd.iso(from.addingTimeInterval(3600)))"] {
                let refused = try await HTTP.get(live + "/clip.mp4?" + query)
                #expect(refused.status == 400 && refused.text.contains("\"code\""), "\(query): \(refused.status) \(refused.text)")
            }
            let none = try await HTTP.get(live + "/clip.mp4?from=2020-01-01T00:00:00Z&to=2020-01-01T00:00:10Z")
            #expect(none.status == 404, "\(none.status) \(none.text)")
        }

        @Test("a rung whose encoder cannot keep up with real time is dropped from the playlists, with a log line and a metric; the copied source goes on")
        func slowRungIsDropped() async throws {
            // veryslow at 704p runs at a few frames a second on this machine's two cores, far below 25.
            let server = try ServerProcess(environment: EndToEnd.liveEnvironment(input: try Fixtures.clip(seconds: 10, size: "1280x720").path, extra: [
                "SENATE_LIVE_LADDER": "704p:704:4000000", "SENATE_LIVE_ENCODER_PRESET": "veryslow",
            ]))
            defer { server.stop() }
            let live = server.baseURL + "/live/senate"
            _ = try await HTTP.waitFor(live + "/source/index.m3u8", timeout: 40) { PlaylistText(text: $0).segments.count >= 1 }
            let multivariant = try await HTTP.waitFor(live + "/index.m3u8", timeout: 60) { !$0.contains("704p/") }
            #expect(multivariant.contains("source/index.m3u8") && multivariant.contains("audio/index.m3u8"))
            let before = PlaylistText(text: try await HTTP.get(live + "/source/index.m3u8").text).segments.last ?? 0
            let after = try await HTTP.waitFor(live + "/source/index.m3u8", timeout: 20) { (PlaylistText(text: $0).segments.last ?? 0) >= before + 2 }
            #expect(!PlaylistText(text: after).segments.isEmpty, "the source keeps going")
            #expect(try await HTTP.get(live + "/704p/index.m3u8").status == 404)
            #expect(server.log.contains("rendition dropped") && server.log.contains("behind real time"), "\(server.log.suffix(2000))")
            let metrics = try await HTTP.get(server.baseURL + "/metrics").text
            #expect(metrics.contains("senate_live_renditions_dropped_total{channel=\"senate\"} 1"), "\(metrics.split(separator: "\n").filter { $0.contains("dropped") })")
        }
    }
}
