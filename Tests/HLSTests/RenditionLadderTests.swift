import Foundation
import NIOCore
import Testing
@testable import HLS

@Suite("Multivariant playlist with a ladder and interpretation audio")
struct RenditionLadderTests {
    static let floor = StreamDescription(codecs: ["mp4a.40.2"], declaredBandwidth: 128_000, language: "th", name: "เสียงในห้องประชุม / Floor", channels: 2)
    static let english = StreamDescription(codecs: ["mp4a.40.2"], declaredBandwidth: 128_000, language: "en", name: "ล่ามภาษาอังกฤษ / English interpretation", channels: 2, isAlternateAudio: true)

    static func store() async -> SegmentStore {
        let store = SegmentStore(channel: "senate", renditions: ["source", "hevc", "360p", "audio", "audio2"], configuration: .init(partTarget: 0.5, segmentTarget: 2), disk: nil)
        await store.beginSession([
            "source": StreamDescription(codecs: ["avc1.64001f", "mp4a.40.2"], width: 1280, height: 720, frameRate: 25),
            "360p": StreamDescription(codecs: ["avc1.64001e", "mp4a.40.2"], width: 640, height: 360, frameRate: 25),
            "audio": floor, "audio2": english,
        ], floorAudio: floor)
        for name in ["source", "360p", "audio", "audio2"] {
            await store.appendPart(rendition: name, duration: 0.5, independent: true, programDateTime: Date(timeIntervalSince1970: 1_800_000_000), bytes: ByteBuffer(string: name))
        }
        return store
    }

    @Test("interpretation is an EXT-X-MEDIA alternative with its URI; the floor has none; variants name the group")
    func audioGroup() async throws {
        let text = try await Self.store().multivariantPlaylist()
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains(#"#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",LANGUAGE="th",NAME="เสียงในห้องประชุม / Floor",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2""#))
        #expect(lines.contains(#"#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",LANGUAGE="en",NAME="ล่ามภาษาอังกฤษ / English interpretation",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="audio2/index.m3u8""#))
        #expect(lines.filter { !$0.hasPrefix("#") } == ["source/index.m3u8", "360p/index.m3u8", "audio/index.m3u8"], "no variant for audio2, none for hevc without media")
        #expect(lines.filter { $0.hasPrefix("#EXT-X-STREAM-INF") }.allSatisfy { $0.contains(#"AUDIO="audio""#) })
        #expect(try await Self.store().multivariantPlaylist(playlist: "dvr.m3u8").contains(#"URI="audio2/dvr.m3u8""#))
    }

    @Test("a dropped rendition leaves the playlist; a new session puts every rendition on the same segment number")
    func dropAndRealign() async throws {
        let store = await Self.store()
        await store.endSegment(["source", "audio", "audio2"])
        await store.dropRendition("360p")
        #expect(try await store.multivariantPlaylist().contains("360p/") == false)
        await store.appendPart(rendition: "360p", duration: 0.5, independent: true, programDateTime: Date(), bytes: ByteBuffer(string: "late"))
        for name in ["source", "audio", "audio2"] {
            await store.appendPart(rendition: name, duration: 0.5, independent: true, programDateTime: Date(), bytes: ByteBuffer(string: name))
        }
        await store.endSegment(["source", "audio", "audio2"])
        await store.beginSession(["source": StreamDescription(codecs: ["avc1.64001f"], width: 1280, height: 720), "360p": StreamDescription(codecs: ["avc1.64001e"], width: 640, height: 360)])
        for name in ["source", "360p"] {
            await store.appendPart(rendition: name, duration: 0.5, independent: true, programDateTime: Date(), bytes: ByteBuffer(string: name))
        }
        #expect(await store.latestPart(rendition: "source")?.msn == 2)
        #expect(await store.latestPart(rendition: "360p")?.msn == 2, "the rung skips the numbers it missed")
    }

    @Test("ISO 639-2 codes become the shortest BCP 47 tag; und and junk become nil")
    func languageTags() {
        #expect(LanguageTag.bcp47("tha") == "th")
        #expect(LanguageTag.bcp47("ENG") == "en")
        #expect(LanguageTag.bcp47("mul") == "mul")
        #expect(LanguageTag.bcp47("und") == nil)
        #expect(LanguageTag.bcp47("e\"n") == nil)
        #expect(LanguageTag.bcp47(nil) == nil)
    }
}
