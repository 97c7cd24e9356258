import Archive
import Foundation
import Testing

@Suite("RecordingTimeline")
struct RecordingTimelineTests {
    let origin = Date(timeIntervalSince1970: 1_800_000_000)

    /// Three 2 s segments, then an interruption of 10 s, then two more.
    var segments: [RecordedSegment] {
        [0, 2, 4, 16, 18].enumerated().map { index, start in
            RecordedSegment(msn: index, duration: 2, programDateTime: origin.addingTimeInterval(Double(start)), discontinuity: index == 3, generation: index < 3 ? 0 : 1)
        }
    }

    @Test("segments overlapping a span are selected, open-ended or not")
    func selection() {
        #expect(RecordingTimeline.select(segments, from: origin.addingTimeInterval(3), to: origin.addingTimeInterval(17)).map(\.msn) == [1, 2, 3])
        #expect(RecordingTimeline.select(segments, from: origin.addingTimeInterval(5), to: nil).map(\.msn) == [2, 3, 4])
        #expect(RecordingTimeline.select(segments, from: origin.addingTimeInterval(30), to: nil).isEmpty)
    }

    @Test("wall-clock times map onto the recording; a gap takes no room in it")
    func offsets() {
        let timeline = RecordingTimeline(segments: segments)
        #expect(timeline.duration == 10)
        #expect(timeline.offset(of: origin.addingTimeInterval(-5)) == 0)
        #expect(timeline.offset(of: origin.addingTimeInterval(3.25)) == 3.25)
        #expect(timeline.offset(of: origin.addingTimeInterval(10)) == 6, "inside the gap: the start of the next segment")
        #expect(timeline.offset(of: origin.addingTimeInterval(17.5)) == 7.5)
        #expect(timeline.offset(of: origin.addingTimeInterval(99)) == 10)
    }

    @Test("one chapter per item taken up, in the order taken up, each ending where the next starts")
    func chapters() {
        let timeline = RecordingTimeline(segments: segments)
        let agenda = [
            AgendaEntry(id: "b", number: "2", title: "second", startedAt: origin.addingTimeInterval(17)),
            AgendaEntry(id: "a", number: "1", title: "first", startedAt: origin.addingTimeInterval(1)),
            AgendaEntry(id: "c", number: "3", title: "never taken up"),
        ]
        let chapters = timeline.chapters(agenda)
        #expect(chapters.map(\.itemId) == ["a", "b"])
        #expect(chapters.map(\.start) == [1, 7])
        #expect(chapters.map(\.end) == [7, 10])
    }

    @Test("the transcript file escapes markup and names the speaker")
    func transcript() {
        let timeline = RecordingTimeline(segments: segments)
        let line = TranscriptEntry(id: "l1", text: "ค่า <b> & ภาษี", speaker: "ประธาน", lang: "th", start: origin.addingTimeInterval(17), end: origin.addingTimeInterval(17), final: true)
        let text = TranscriptVTT.render([line], timeline: timeline)
        #expect(text == "WEBVTT\n\nl1\n00:00:07.000 --> 00:00:07.500\n<v ประธาน>ค่า &lt;b&gt; &amp; ภาษี\n")
    }

    @Test("sitting ids that could leave the archive folder are refused")
    func folderNames() throws {
        #expect(ArchiveFolder.isValid(sitting: "20261123-senate-1"))
        for bad in ["", "..", "../etc", "a/b", "a b", String(repeating: "x", count: 200)] { #expect(!ArchiveFolder.isValid(sitting: bad), "\(bad)") }
        let folder = ArchiveFolder(root: FileManager.default.temporaryDirectory.appendingPathComponent("archive-\(UUID().uuidString)"))
        try folder.write(Data("x".utf8), to: "chapters.json", sitting: "s1")
        #expect(folder.existingFile(sitting: "s1", ["chapters.json"]) != nil)
        #expect(folder.existingFile(sitting: "s1", [".."]) == nil)
        #expect(folder.existingFile(sitting: "s1", ["..", "s1", "chapters.json"]) == nil)
        #expect(folder.existingFile(sitting: "s1", ["source"]) == nil)
        try folder.remove(sitting: "s1")
        #expect(folder.existingFile(sitting: "s1", ["chapters.json"]) == nil)
    }
}
