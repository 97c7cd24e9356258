import Foundation
import Testing

extension EndToEnd {
    @Suite("Live sync")
    struct LiveSyncEndToEnd {
        static func iso(_ date: Date) -> String { date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)) }

        @Test("agenda items and votes become EXT-X-DATERANGE; transcript lines become WebVTT cues on the program-date-time clock")
        func dateRangesAndCaptions() async throws {
            let server = try ServerProcess(environment: EndToEnd.RelayEndToEnd.environment(EndToEnd.liveEnvironment(input: try Fixtures.clip().path)))
            defer { server.stop() }
            let base = server.baseURL + "/live/senate"
            _ = try await HTTP.waitFor(base + "/source/index.m3u8") { PlaylistText(text: $0).segments.count >= 2 }

            let now = Date()
            let token = try EndToEnd.RelayEndToEnd.token()
            let events: [[String: Any]] = [
                ["type": "sitting.started", "at": Self.iso(now.addingTimeInterval(-3)), "data": ["title": "การประชุมวุฒิสภา", "chamber": "senate", "number": 12, "scheduledAt": "2026-11-23T02:30:00Z"]],
                ["type": "agenda.set", "at": Self.iso(now.addingTimeInterval(-3)), "data": ["items": [
                    ["id": "i1", "number": "1", "title": "เรื่องที่ประธานแจ้ง"], ["id": "i2", "number": "2", "title": "ร่างพระราชบัญญัติงบประมาณ", "billId": "bill-1"],
                ]]],
                ["type": "agenda.item", "at": Self.iso(now.addingTimeInterval(-2.5)), "data": ["itemId": "i1"]],
                ["type": "transcript.line", "at": Self.iso(now.addingTimeInterval(-1)), "data": ["lineId": "l1", "text": "ขอเปิด", "lang": "th", "start": Self.iso(now.addingTimeInterval(-2)), "end": Self.iso(now.addingTimeInterval(-1.5)), "final": false]],
                ["type": "transcript.line", "at": Self.iso(now.addingTimeInterval(-0.5)), "data": ["lineId": "l1", "text": "ขอเปิดการประชุม <วุฒิสภา>", "speaker": "ประธาน", "lang": "th", "start": Self.iso(now.addingTimeInterval(-2)), "end": Self.iso(now.addingTimeInterval(-0.5)), "final": true]],
                ["type": "agenda.item", "at": Self.iso(now), "data": ["itemId": "i2"]],
                ["type": "vote.opened", "at": Self.iso(now), "data": ["voteId": "v1", "itemId": "i2", "motion": "รับหลักการ"]],
                ["type": "vote.closed", "at": Self.iso(now.addingTimeInterval(0.5)), "data": ["voteId": "v1", "result": "passed", "yes": 2, "no": 0, "abstain": 0, "notVoting": 0, "records": [["name": "ก", "vote": "yes"], ["name": "ข", "vote": "yes"]]]],
            ]
            _ = try await EndToEnd.RelayEndToEnd.post(server, token: token, body: events)

            // The cue ends 0.5 s before now: wait until a closed segment covers it.
            let text = try await HTTP.waitFor(base + "/source/index.m3u8") { $0.contains("X-RESULT=\"passed\"") && $0.contains("CLASS=\"th.go.senate.agenda\"") }
            let ranges = text.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-DATERANGE:") }
            let first = try #require(ranges.first { $0.contains("X-ITEM-ID=\"i1\"") })
            #expect(first.contains("START-DATE=\"\(Self.iso(now.addingTimeInterval(-2.5)))\""))
            #expect(first.contains("END-DATE=\"\(Self.iso(now))\""), "item 1 ends when item 2 starts")
            #expect(first.contains("X-TITLE=\"เรื่องที่ประธานแจ้ง\""))
            let second = try #require(ranges.first { $0.contains("X-ITEM-ID=\"i2\"") })
            #expect(!second.contains("END-DATE"), "item 2 is still under consideration")
            let vote = try #require(ranges.first { $0.contains("CLASS=\"th.go.senate.vote\"") })
            #expect(vote.contains("END-DATE=\"\(Self.iso(now.addingTimeInterval(0.5)))\"") && vote.contains("X-VOTE-ID=\"v1\""))

            let multivariant = try await HTTP.get(base + "/index.m3u8").text
            #expect(multivariant.contains("#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\""))
            #expect(multivariant.contains("SUBTITLES=\"subs\""))

            let captions = try await HTTP.waitFor(base + "/subtitles/index.m3u8") { playlist in
                PlaylistTimeline(playlist).segment(covering: now.addingTimeInterval(-1)) != nil
            }
            let msn = try #require(PlaylistTimeline(captions).segment(covering: now.addingTimeInterval(-1)))
            let vtt = try await HTTP.get("\(base)/subtitles/\(msn).vtt")
            #expect(vtt.header("Content-Type")?.hasPrefix("text/vtt") == true)
            #expect(vtt.text.hasPrefix("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:"))
            #expect(vtt.text.contains("<v ประธาน>ขอเปิดการประชุม &lt;วุฒิสภา&gt;"), "the final line replaced the interim one:\n\(vtt.text)")
            #expect(!vtt.text.contains("\nขอเปิด\n"))

            // An independent parser reads playlists that carry date ranges.
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/check_playlists.py")
            let parsed = try Tool.run("python3", [script.path, base + "/index.m3u8"])
            #expect(parsed.succeeded, "\(parsed.stderr)")
        }
    }
}
