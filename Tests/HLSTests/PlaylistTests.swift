import Foundation
import NIOCore
import Testing
@testable import HLS

@Suite("Playlists")
struct PlaylistTests {
    @Test("a live media playlist carries the LL-HLS tags in order")
    func mediaPlaylist() {
        var timeline = RenditionTimelineTests.timeline(segments: 4, openParts: 1)
        timeline.startGeneration(1, discontinuity: true)
        timeline.append(duration: 0.5, independent: true, programDateTime: Date(timeIntervalSince1970: 1_800_000_100), bytes: ByteBuffer(string: "z"))
        let text = MediaPlaylist(partTarget: 0.5, segmentTarget: 2, window: 4).render(
            timeline, reports: [.init(uri: "../audio/index.m3u8", lastMsn: 5, lastPart: 0)]
        )
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "#EXTM3U")
        #expect(lines.contains("#EXT-X-TARGETDURATION:2"))
        #expect(lines.contains("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12.000,PART-HOLD-BACK=1.500,HOLD-BACK=6.000"))
        #expect(lines.contains("#EXT-X-PART-INF:PART-TARGET=0.500"))
        #expect(lines.contains("#EXT-X-MEDIA-SEQUENCE:1"), "window of 4 closed segments: 1…4")
        #expect(lines.filter { $0 == "#EXT-X-DISCONTINUITY" }.count == 1)
        #expect(lines.contains("#EXT-X-MAP:URI=\"init-0.mp4\""))
        #expect(lines.contains("#EXT-X-MAP:URI=\"init-1.mp4\""))
        #expect(lines.contains("#EXT-X-PROGRAM-DATE-TIME:2027-01-15T08:00:00.000Z"))
        #expect(lines.filter { $0.hasPrefix("#EXT-X-PROGRAM-DATE-TIME:") }.count == 5)
        #expect(lines.contains("#EXT-X-PART:DURATION=0.500,URI=\"5.0.m4s\",INDEPENDENT=YES"))
        #expect(lines.contains("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"5.1.m4s\""))
        #expect(lines.last == "#EXT-X-RENDITION-REPORT:URI=\"../audio/index.m3u8\",LAST-MSN=5,LAST-PART=0")
        // Parts are listed for the two newest closed segments only.
        #expect(!lines.contains { $0.contains("URI=\"1.0.m4s\"") })
        #expect(lines.contains { $0.contains("URI=\"3.0.m4s\"") })
    }

    @Test("a delta update skips the segments older than six target durations, and only those")
    func deltaPlaylist() {
        // 12 closed segments of 2 s and an open one of 0.5 s: 24.5 s listed; the boundary is 12 s.
        let timeline = RenditionTimelineTests.timeline(segments: 12, openParts: 1)
        let playlist = MediaPlaylist(partTarget: 0.5, segmentTarget: 2, window: 12)
        let full = playlist.render(timeline, reports: [])
        let delta = playlist.render(timeline, reports: [], delta: true)
        let lines = delta.split(separator: "\n").map(String.init)
        #expect(lines.contains("#EXT-X-VERSION:9"))
        #expect(full.contains("#EXT-X-VERSION:6") && !full.contains("#EXT-X-SKIP"))
        // Kept from the end: 0.5 + 2 × 6 = 12.5 s > 12 s, so segments 6…11 stay and 0…5 are skipped.
        #expect(lines.contains("#EXT-X-SKIP:SKIPPED-SEGMENTS=6"))
        #expect(lines.contains("#EXT-X-MEDIA-SEQUENCE:0"), "the media sequence still names the first segment")
        #expect(!lines.contains("5.m4s") && lines.contains("6.m4s") && lines.contains("11.m4s"))
        #expect(lines.contains("#EXT-X-MAP:URI=\"init-0.mp4\""), "the first segment after the skip names its map")
        let segmentLines = { (text: String) in text.split(separator: "\n").filter { $0.hasSuffix(".m4s") && !$0.hasPrefix("#") }.count }
        #expect(segmentLines(full) == segmentLines(delta) + 6)
        // Too short to skip anything: a full playlist even when asked for a delta.
        let short = RenditionTimelineTests.timeline(segments: 3, openParts: 1)
        #expect(!playlist.render(short, reports: [], delta: true).contains("#EXT-X-SKIP"))
    }

    @Test("a VOD playlist ends with ENDLIST and marks generation changes")
    func vodPlaylist() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let entries = [
            SegmentDisk.IndexEntry(msn: 0, duration: 2, programDateTime: start, discontinuity: false, initGeneration: 0),
            SegmentDisk.IndexEntry(msn: 1, duration: 1.5, programDateTime: start.addingTimeInterval(2), discontinuity: false, initGeneration: 0),
            SegmentDisk.IndexEntry(msn: 2, duration: 2, programDateTime: start.addingTimeInterval(9), discontinuity: true, initGeneration: 1),
        ]
        let text = VODPlaylist.render(entries)
        #expect(text.contains("#EXT-X-PLAYLIST-TYPE:VOD"))
        #expect(text.hasSuffix("#EXT-X-ENDLIST\n"))
        #expect(text.components(separatedBy: "#EXT-X-DISCONTINUITY\n").count == 2)
        #expect(text.contains("#EXT-X-MAP:URI=\"init-1.mp4\""))
    }

    @Test("the multivariant playlist lists codecs, resolution and measured bandwidth")
    func multivariant() {
        let text = MultivariantPlaylist.render([
            .init(uri: "source/index.m3u8", stream: StreamDescription(codecs: ["avc1.4d401e", "mp4a.40.2"], width: 640, height: 360, frameRate: 25), bandwidth: (500_000, 450_000)),
            .init(uri: "audio/index.m3u8", stream: StreamDescription(codecs: ["mp4a.40.2"]), bandwidth: nil),
        ])
        #expect(text.contains("#EXT-X-STREAM-INF:BANDWIDTH=500000,AVERAGE-BANDWIDTH=450000,CODECS=\"avc1.4d401e,mp4a.40.2\",RESOLUTION=640x360,FRAME-RATE=25.000\nsource/index.m3u8"))
        #expect(text.contains("#EXT-X-STREAM-INF:BANDWIDTH=128000,CODECS=\"mp4a.40.2\"\naudio/index.m3u8"))
    }

    @Test("file names parse from digits only; traversal and odd names are not files")
    func fileNames() {
        #expect(MediaFileName("index.m3u8") == .playlist)
        #expect(MediaFileName("init.mp4") == .currentInitialization)
        #expect(MediaFileName("init-3.mp4") == .initialization(3))
        #expect(MediaFileName("12.m4s") == .segment(12))
        #expect(MediaFileName("12.3.m4s") == .part(msn: 12, index: 3))
        for bad in ["../12.m4s", "..%2F12.m4s", "-1.m4s", "1.-1.m4s", "+1.m4s", " 1.m4s", "1..m4s", ".m4s", "1.2.3.m4s",
                    "init-../x.mp4", "init--1.mp4", "99999999999999999.m4s", "segments.jsonl", "index.m3u8/..", "0x1.m4s"] {
            #expect(MediaFileName(bad) == nil, "\(bad)")
        }
    }

    @Test("delivery directives parse; a part without msn is an error")
    func directives() throws {
        #expect(try BlockingRequest.parse(msn: nil, part: nil) == nil)
        #expect(try BlockingRequest.parse(msn: "7", part: nil) == BlockingRequest(msn: 7))
        #expect(try BlockingRequest.parse(msn: "7", part: "2") == BlockingRequest(msn: 7, part: 2))
        #expect(throws: HLSError.self) { try BlockingRequest.parse(msn: nil, part: "2") }
        #expect(throws: HLSError.self) { try BlockingRequest.parse(msn: "-1", part: nil) }
        #expect(throws: HLSError.self) { try BlockingRequest.parse(msn: "7", part: "x") }
    }
}
