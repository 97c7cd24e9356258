import Testing
@testable import Media

@Suite("What is copied and what transcoded")
struct MediaPlanTests {
    static let ladder = [LadderRung(name: "360p", height: 360, bitrate: 600_000), LadderRung(name: "1080p", height: 1080, bitrate: 5_000_000)]

    static func plan(_ policy: TranscodePolicy, video: StreamSummary?, audio: [StreamSummary], ladder: [LadderRung] = [], maxAudio: Int = 4) -> MediaPlan {
        MediaPlan(policy: policy, video: video, audio: audio, ladder: ladder, maxAudioTracks: maxAudio)
    }

    @Test("auto copies progressive H.264 and AAC, and transcodes MPEG-2, MP2, AC-3 and interlaced H.264")
    func autoPolicy() {
        let copied = Self.plan(.auto, video: .init(index: 0, kind: .video, codec: "h264", height: 720), audio: [.init(index: 1, kind: .audio, codec: "aac")])
        #expect(copied.tracks.map(\.action) == [.copy, .copy])
        #expect(!copied.decodesVideo && !copied.encodesSource)

        let dvb = Self.plan(.auto, video: .init(index: 0, kind: .video, codec: "mpeg2video", interlaced: true, height: 576), audio: [.init(index: 1, kind: .audio, codec: "mp2")])
        #expect(dvb.tracks.map(\.action) == [.transcode, .transcode])
        #expect(dvb.tracks.map(\.output) == ["h264", "aac"])
        #expect(dvb.tracks[0].reason.contains("mpeg2video"))
        #expect(dvb.encodesSource)

        let interlaced = Self.plan(.auto, video: .init(index: 0, kind: .video, codec: "h264", interlaced: true, height: 1080), audio: [.init(index: 1, kind: .audio, codec: "ac3")])
        #expect(interlaced.tracks.map(\.action) == [.transcode, .transcode])
        #expect(interlaced.tracks[0].reason.contains("interlaced"))
    }

    @Test("HEVC is kept and also encoded to H.264 under auto; never copies everything; always transcodes everything")
    func hevcAndOtherPolicies() {
        let hevc = StreamSummary(index: 0, kind: .video, codec: "hevc", height: 360)
        let aac = StreamSummary(index: 1, kind: .audio, codec: "aac")
        #expect(Self.plan(.auto, video: hevc, audio: [aac]).video?.action == .copyAndTranscode)
        #expect(Self.plan(.auto, video: hevc, audio: [aac]).encodesSource)
        #expect(Self.plan(.never, video: .init(index: 0, kind: .video, codec: "mpeg2video"), audio: [.init(index: 1, kind: .audio, codec: "mp2")]).tracks.map(\.action) == [.copy, .copy])
        #expect(Self.plan(.always, video: .init(index: 0, kind: .video, codec: "h264"), audio: [aac]).tracks.map(\.action) == [.transcode, .transcode])
    }

    @Test("a codec that can be neither copied nor decoded is dropped with its reason; the rest goes on")
    func undecodable() {
        let plan = Self.plan(.auto, video: .init(index: 0, kind: .video, codec: "none", decodable: false), audio: [.init(index: 1, kind: .audio, codec: "aac")])
        #expect(plan.video == nil)
        #expect(plan.tracks[0].action == .drop && plan.tracks[0].reason.contains("neither"))
        #expect(plan.audio.count == 1)
        #expect(plan.ladder.isEmpty, "no ladder without a picture")
    }

    @Test("ladder rungs at or above the source's height are skipped; audio beyond maxAudioTracks is dropped")
    func ladderAndAudioLimit() {
        let audio = (1...3).map { StreamSummary(index: $0, kind: .audio, codec: "aac", language: ["tha", "eng", "fra"][$0 - 1]) }
        let plan = Self.plan(.auto, video: .init(index: 0, kind: .video, codec: "h264", height: 720), audio: audio, ladder: Self.ladder, maxAudio: 2)
        #expect(plan.ladder.map(\.name) == ["360p"])
        #expect(plan.decodesVideo && !plan.encodesSource)
        #expect(plan.audio.map(\.language) == ["tha", "eng"])
        #expect(plan.tracks.last?.action == .drop)
    }

    @Test("rendition names: source, hevc, the ladder, then audio per track")
    func renditionNames() {
        #expect(Rendition.all(ladder: [Self.ladder[0]], maxAudioTracks: 3) == ["source", "hevc", "360p", "audio", "audio2", "audio3"])
    }
}
