import Foundation
import Testing

extension EndToEnd {
    @Suite("Archive")
    struct ArchiveEndToEnd {
        static func iso(_ date: Date) -> String { date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)) }

        static func environment(input: String) throws -> [String: String] {
            EndToEnd.RelayEndToEnd.environment(EndToEnd.liveEnvironment(input: input))
        }

        @Test("an ended sitting: recording.mp4 with one chapter per item and both languages, VOD playlists, a clip, transcript, Thai search with offsets")
        func endedSitting() async throws {
            let server = try ServerProcess(environment: try Self.environment(input: try Fixtures.bilingualClip(seconds: 6).path))
            defer { server.stop() }
            let live = server.baseURL + "/live/senate"
            _ = try await HTTP.waitFor(live + "/source/index.m3u8", timeout: 40) { PlaylistText(text: $0).segments.count >= 4 }

            // The sitting covers the last 6 s of media: item 1, then item 2 with a vote, then the end.
            let now = Date()
            let start = now.addingTimeInterval(-6), second = now.addingTimeInterval(-3)
            let published = try await EndToEnd.RelayEndToEnd.post(server, token: try EndToEnd.RelayEndToEnd.token(), body: [
                ["type": "sitting.started", "at": Self.iso(start), "data": ["title": "การประชุมวุฒิสภา ครั้งที่ 7", "chamber": "senate", "number": 7, "scheduledAt": Self.iso(start)]],
                ["type": "agenda.set", "at": Self.iso(start), "data": ["items": [
                    ["id": "i1", "number": "1", "title": "เรื่องที่ประธานแจ้ง"], ["id": "i2", "number": "2", "title": "ร่างพระราชบัญญัติงบประมาณ", "billId": "b-7"],
                ]]],
                ["type": "agenda.item", "at": Self.iso(start), "data": ["itemId": "i1"]],
                ["type": "transcript.line", "at": Self.iso(start.addingTimeInterval(1.5)), "data": ["lineId": "l1", "text": "ขอเปิดการประชุม", "lang": "th", "start": Self.iso(start.addingTimeInterval(0.5)), "end": Self.iso(start.addingTimeInterval(1.5)), "final": true]],
                ["type": "agenda.item", "at": Self.iso(second), "data": ["itemId": "i2"]],
                ["type": "transcript.line", "at": Self.iso(second.addingTimeInterval(1.5)), "data": ["lineId": "l2", "text": "ร่างพระราชบัญญัติงบประมาณรายจ่ายประจำปีผ่านการพิจารณา", "speaker": "ประธาน", "lang": "th", "start": Self.iso(second.addingTimeInterval(1)), "end": Self.iso(second.addingTimeInterval(2)), "final": true]],
                ["type": "vote.opened", "at": Self.iso(second.addingTimeInterval(1)), "data": ["voteId": "v1", "itemId": "i2", "motion": "รับหลักการ"]],
                ["type": "vote.closed", "at": Self.iso(second.addingTimeInterval(2)), "data": ["voteId": "v1", "result": "passed", "yes": 2, "no": 1, "abstain": 0, "notVoting": 0, "records": [
                    ["name": "ก", "vote": "yes"], ["name": "ข", "vote": "yes"], ["name": "ค", "memberId": "m3", "vote": "no"],
                ]]],
                ["type": "sitting.ended", "at": Self.iso(now), "data": [:]],
            ])
            let sitting = try #require(published.first?["sitting"] as? String)

            let api = server.baseURL + "/api/v1/sittings/" + sitting
            let detailText = try await HTTP.waitFor(api, timeout: 30) { $0.contains("\"archivedAt\"") && $0.contains("\"status\":\"ended\"") }
            let detail = try #require(try JSONSerialization.jsonObject(with: Data(detailText.utf8)) as? [String: Any])
            let votes = try #require(detail["votes"] as? [[String: Any]])
            #expect(votes.count == 1 && votes[0]["result"] as? String == "passed" && (votes[0]["records"] as? [Any])?.count == 3)

            // The VOD playlist: ffmpeg reads it to the end; its timeline is what offsets are measured on.
            let archive = server.baseURL + "/archive/" + sitting
            let vod = try await HTTP.get(archive + "/index.m3u8")
            #expect(vod.status == 200 && vod.text.contains("#EXT-X-PLAYLIST-TYPE:VOD") && vod.text.hasSuffix("#EXT-X-ENDLIST\n"))
            let timeline = PlaylistTimeline(vod.text)
            #expect(timeline.duration >= 5, "the sitting's 6 s are recorded:\n\(vod.text)")
            let read = try Tool.run("ffmpeg", ["-v", "error", "-i", archive + "/index.m3u8", "-c", "copy", "-f", "null", "-"])
            #expect(read.succeeded && read.stderr.isEmpty, "\(read.stderr)")

            // recording.mp4: the playlist's duration and one chapter per agenda item, at its offset.
            let recording = server.dataDirectory.appendingPathComponent("recording-copy.mp4")
            let reply = try await HTTP.get(archive + "/recording.mp4")
            #expect(reply.status == 200 && reply.header("Content-Type") == "video/mp4")
            try reply.body.write(to: recording)
            let probe = try Tool.run("ffprobe", ["-v", "error", "-show_entries", "format=duration:chapter=start_time,end_time:chapter_tags=title:stream=codec_name:stream_tags=language", "-of", "json", recording.path])
            let probed = try #require(try JSONSerialization.jsonObject(with: Data(probe.stdout.utf8)) as? [String: Any])
            // Every language is kept: the floor and the interpretation, tagged.
            let tracks = (probed["streams"] as? [[String: Any]] ?? []).filter { $0["codec_name"] as? String == "aac" }
            #expect(tracks.compactMap { ($0["tags"] as? [String: Any])?["language"] as? String } == ["tha", "eng"], "\(probe.stdout)")
            let interpretation = try await HTTP.get(archive + "/audio2/index.m3u8")
            #expect(interpretation.status == 200 && interpretation.text.contains("#EXT-X-ENDLIST"), "the interpretation has its VOD playlist")
            // A clip of the archive: 2 s from 1 s in, at the keyframe at 2 s (GOP 1 s): about 1 s, both languages.
            let clip = try await HTTP.get(archive + "/clip.mp4?from=1&to=3")
            #expect(clip.status == 200 && clip.header("Content-Disposition")?.contains("attachment") == true, "\(clip.status) \(clip.text.prefix(200))")
            #expect(try await HTTP.get(archive + "/clip.mp4?from=3&to=1").status == 400)
            let duration = Double(((probed["format"] as? [String: Any])?["duration"] as? String) ?? "") ?? 0
            #expect(abs(duration - timeline.duration) < 0.5, "recording \(duration) s, playlist \(timeline.duration) s")
            let chapters = try #require(probed["chapters"] as? [[String: Any]])
            #expect(chapters.count == 2, "\(probe.stdout)")
            let secondStart = Double(chapters.last?["start_time"] as? String ?? "") ?? -1
            #expect(abs(secondStart - timeline.offset(of: second)) < 0.05, "chapter 2 at \(secondStart)")
            #expect((chapters.last?["tags"] as? [String: Any])?["title"] as? String == "2. ร่างพระราชบัญญัติงบประมาณ")
            let range = try await HTTP.get(archive + "/recording.mp4", headers: ["Range": "bytes=0-99"])
            #expect(range.status == 206 && range.body.count == 100)

            let chaptersFile = try await HTTP.get(archive + "/chapters.json")
            #expect(chaptersFile.status == 200 && chaptersFile.text.contains("\"itemId\" : \"i2\""))
            let vtt = try await HTTP.get(archive + "/transcript.vtt")
            #expect(vtt.text.hasPrefix("WEBVTT") && vtt.text.contains("<v ประธาน>ร่างพระราชบัญญัติงบประมาณรายจ่าย"))

            // A Thai word in the middle of a sentence, with no spaces around it.
            let query = "งบประมาณรายจ่าย".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!
            let search = try await HTTP.get(server.baseURL + "/api/v1/search?q=\(query)&channel=senate")
            let hits = try #require((try JSONSerialization.jsonObject(with: search.body) as? [String: Any])?["hits"] as? [[String: Any]])
            #expect(hits.count == 1 && hits.first?["lineId"] as? String == "l2", "\(search.text)")
            let offset = try #require(hits.first?["offset"] as? Double)
            #expect(abs(offset - timeline.offset(of: second.addingTimeInterval(1))) < 0.05)
            #expect(hits.first?["link"] as? String == "/archive/\(sitting)?t=\(Int(offset))")
            let short = try await HTTP.get(server.baseURL + "/api/v1/search?q=%E0%B8%81%E0%B8%B2")  // "กา": under 3 characters, scanned
            #expect(short.status == 200)
            let empty = try await HTTP.get(server.baseURL + "/api/v1/search?q=")
            #expect(empty.status == 400)

            let list = try await HTTP.get(server.baseURL + "/api/v1/sittings?channel=senate")
            #expect(list.text.contains("\"id\":\"\(sitting)\"") && list.text.contains("\"recording\":\"/archive/\(sitting)/recording.mp4\""))
            for path in ["/archive/..%2F..%2Fetc/passwd", "/archive/\(sitting)/..%2Fcatalog.sqlite", "/archive/\(sitting)/source/..%2F..%2F..%2Fcatalog.sqlite", "/archive/nope/index.m3u8"] {
                #expect(try await HTTP.get(server.baseURL + path).status == 404, "\(path)")
            }
        }

        @Test("kill -9 during a sitting, restart: every completed segment is in the recording and no acknowledged event is lost")
        func crashDuringSitting() async throws {
            let environment = try Self.environment(input: try Fixtures.clip().path)
            var server = try ServerProcess(environment: environment)
            let data = server.dataDirectory
            let live = server.baseURL + "/live/senate"
            _ = try await HTTP.waitFor(live + "/source/index.m3u8", timeout: 40) { PlaylistText(text: $0).segments.count >= 2 }
            let token = try EndToEnd.RelayEndToEnd.token()
            let start = Date()
            let first = try await EndToEnd.RelayEndToEnd.post(server, token: token, body: [
                ["type": "sitting.started", "at": Self.iso(start), "data": ["title": "ประชุมร่วมกันของรัฐสภา", "chamber": "parliament", "number": 3, "scheduledAt": Self.iso(start)]],
                ["type": "agenda.set", "data": ["items": [["id": "a", "number": "1", "title": "กระทู้ถาม"], ["id": "b", "number": "2", "title": "ญัตติ"]]]],
                ["type": "agenda.item", "data": ["itemId": "a"]],
                ["type": "transcript.line", "data": ["lineId": "x1", "text": "ก่อนเกิดเหตุขัดข้อง", "lang": "th", "start": Self.iso(start), "end": Self.iso(start.addingTimeInterval(1)), "final": true]],
            ])
            let sitting = try #require(first.first?["sitting"] as? String)
            let before = try await HTTP.waitFor(live + "/source/index.m3u8", timeout: 30) { text in
                PlaylistText(text: text).segments.count >= 4 && Self.segments(after: start, in: text).count >= 2
            }
            let completed = Self.segments(after: start, in: before)
            server.kill9()

            server = try ServerProcess(environment: environment, dataDirectory: data)
            defer { server.stop() }
            let api = server.baseURL + "/api/v1/sittings/" + sitting
            // On restart the open sitting's archive is written from what is on disk.
            _ = try await HTTP.waitFor(api, timeout: 30) { $0.contains("\"archivedAt\"") }
            let recovered = try await HTTP.get(server.baseURL + "/archive/\(sitting)/index.m3u8")
            let recoveredNumbers = PlaylistTimeline(recovered.text).msns
            #expect(Set(completed).isSubset(of: Set(recoveredNumbers)), "segments \(completed) before the crash, \(recoveredNumbers) recovered")

            _ = try await HTTP.waitFor(server.baseURL + "/live/senate/source/index.m3u8", timeout: 30) { PlaylistText(text: $0).segments.count >= 2 }
            _ = try await EndToEnd.RelayEndToEnd.post(server, token: token, body: [
                ["type": "agenda.item", "data": ["itemId": "b"]],
                ["type": "transcript.line", "data": ["lineId": "x2", "text": "หลังเริ่มใหม่", "lang": "th", "start": Self.iso(Date()), "end": Self.iso(Date().addingTimeInterval(1)), "final": true]],
                ["type": "sitting.ended", "data": [:]],
            ])
            // Archived again after the end (the first archive was the one written at restart).
            let detail = try await HTTP.waitFor(api, timeout: 30) { text in
                let sitting = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["sitting"] as? [String: Any]
                guard let ended = sitting?["endedAt"] as? String, let archived = sitting?["archivedAt"] as? String else { return false }
                return archived > ended
            }
            let history = try await HTTP.get(server.baseURL + "/api/v1/channels/senate/events?since=0&limit=1000")
            for id in first.compactMap({ $0["id"] as? String }) { #expect(history.text.contains("\"id\":\"\(id)\""), "event \(id) survived the crash") }
            #expect(detail.contains("ก่อนเกิดเหตุขัดข้อง") && detail.contains("กระทู้ถาม"), "events acknowledged before the crash are in the archive")
            let final = try await HTTP.get(server.baseURL + "/archive/\(sitting)/index.m3u8")
            let numbers = PlaylistTimeline(final.text).msns
            #expect(Set(completed).isSubset(of: Set(numbers)))
            #expect(final.text.contains("#EXT-X-DISCONTINUITY"), "the restart is a discontinuity inside one recording")
            // ffmpeg's HLS reader does not reset timestamps at EXT-X-DISCONTINUITY (the restarted server's media
            // clock starts over), so its null muxer notes the jump back; anything else is an error.
            let read = try Tool.run("ffmpeg", ["-v", "error", "-i", server.baseURL + "/archive/\(sitting)/index.m3u8", "-c", "copy", "-f", "null", "-"])
            let errors = read.stderr.split(separator: "\n").filter { !$0.contains("non monotonically increasing dts") }
            #expect(read.succeeded && errors.isEmpty, "\(read.stderr)")
            let recording = try await HTTP.get(server.baseURL + "/archive/\(sitting)/recording.mp4")
            #expect(recording.status == 200)
            let file = data.appendingPathComponent("crash-recording.mp4")
            try recording.body.write(to: file)
            let duration = try Tool.run("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file.path])
            #expect(abs((Double(duration.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) - PlaylistTimeline(final.text).duration) < 0.5)
        }

        @Test("retention removes an ended sitting's files and catalog rows once it is older than the setting")
        func retention() async throws {
            let seconds = 6.0
            let server = try ServerProcess(environment: try Self.environment(input: try Fixtures.clip().path).merging(
                ["SENATE_LIVE_ARCHIVE_RETENTION_DAYS": "\(seconds / 86_400)", "SENATE_LIVE_ARCHIVE_EXPORT_ON_END": "false"]
            ) { _, new in new })
            defer { server.stop() }
            _ = try await HTTP.waitFor(server.baseURL + "/live/senate/source/index.m3u8", timeout: 40) { PlaylistText(text: $0).segments.count >= 2 }
            let now = Date()
            let published = try await EndToEnd.RelayEndToEnd.post(server, token: try EndToEnd.RelayEndToEnd.token(), body: [
                ["type": "sitting.started", "at": Self.iso(now.addingTimeInterval(-3)), "data": ["title": "สั้น", "chamber": "senate", "number": 1, "scheduledAt": Self.iso(now)]],
                ["type": "transcript.line", "data": ["lineId": "r1", "text": "ข้อความที่จะถูกลบ", "lang": "th", "start": Self.iso(now.addingTimeInterval(-2)), "end": Self.iso(now.addingTimeInterval(-1)), "final": true]],
                ["type": "sitting.ended", "at": Self.iso(now), "data": [:]],
            ])
            let sitting = try #require(published.first?["sitting"] as? String)
            _ = try await HTTP.waitFor(server.baseURL + "/api/v1/sittings/" + sitting, timeout: 20) { $0.contains("\"archivedAt\"") }
            let folder = server.dataDirectory.appendingPathComponent("archive/\(sitting)")
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("index.m3u8").path))

            let deadline = Date().addingTimeInterval(seconds * 4)
            var status = 200
            while Date() < deadline && status != 404 {
                try await Task.sleep(for: .milliseconds(500))
                status = try await HTTP.get(server.baseURL + "/api/v1/sittings/" + sitting).status
            }
            #expect(status == 404, "the sitting is gone from the catalog")
            #expect(!FileManager.default.fileExists(atPath: folder.path), "and from the disk")
            let search = try await HTTP.get(server.baseURL + "/api/v1/search?q=%E0%B8%82%E0%B9%89%E0%B8%AD%E0%B8%84%E0%B8%A7%E0%B8%B2%E0%B8%A1")
            #expect(!search.text.contains("r1"))
            #expect(try await HTTP.get(server.baseURL + "/live/senate/index.m3u8").status == 200, "the live channel is untouched")
        }

        /// The msns of a live playlist's complete segments that end after `date`.
        static func segments(after date: Date, in playlist: String) -> [Int] {
            PlaylistTimeline(playlist).entries.filter { $0.start.addingTimeInterval($0.duration) > date }.map(\.msn)
        }
    }
}
