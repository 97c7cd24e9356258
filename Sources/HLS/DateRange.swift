import Foundation
import WallClock

/// An `EXT-X-DATERANGE`: an agenda item or a vote on the media timeline.
public struct DateRange: Sendable, Equatable {
    public var id: String
    public var classId: String
    public var start: Date
    /// nil while it lasts.
    public var end: Date?
    /// Client attributes (names start with `X-`), sent as quoted strings.
    public var attributes: [(name: String, value: String)]

    public init(id: String, classId: String, start: Date, end: Date? = nil, attributes: [(name: String, value: String)] = []) {
        self.id = id
        self.classId = classId
        self.start = start
        self.end = end
        self.attributes = attributes
    }

    public static func == (lhs: DateRange, rhs: DateRange) -> Bool {
        lhs.id == rhs.id && lhs.classId == rhs.classId && lhs.start == rhs.start && lhs.end == rhs.end
            && lhs.attributes.map(\.name) == rhs.attributes.map(\.name) && lhs.attributes.map(\.value) == rhs.attributes.map(\.value)
    }

    /// The tag line. Quotes and line breaks cannot appear in a quoted attribute; they become `'` and spaces.
    public var tag: String {
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\"", with: "'").replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ") + "\""
        }
        var line = "#EXT-X-DATERANGE:ID=\(quoted(id)),CLASS=\(quoted(classId)),START-DATE=\(quoted(ISO8601.format(start)))"
        if let end { line += ",END-DATE=\(quoted(ISO8601.format(end)))" }
        for attribute in attributes { line += ",\(attribute.name)=\(quoted(attribute.value))" }
        return line
    }
}

/// One transcript line as a caption: wall-clock times, mapped onto segments by program-date-time.
public struct Cue: Sendable, Equatable {
    /// The transcript `lineId`: a later cue with the same id replaces an interim one.
    public var id: String
    public var start: Date
    public var end: Date
    public var text: String
    public var speaker: String?

    public init(id: String, start: Date, end: Date, text: String, speaker: String? = nil) {
        self.id = id
        self.start = start
        self.end = end
        self.text = text
        self.speaker = speaker
    }
}
