import Foundation
import WallClock

/// A scripted sitting (`Samples/sitting.jsonl`): one event per line as a publisher sends it, with times
/// relative to the start — `offset` (seconds) instead of `at`, and for transcript lines `startOffset` /
/// `endOffset` instead of `start` / `end` — so the same script can be replayed at any moment.
public struct SittingScript: Sendable {
    public struct Line: Sendable {
        public var offset: Double
        public var id: String?
        public var type: EventType
        public var data: JSONValue
    }

    public var lines: [Line]

    /// Parses the JSON Lines text; blank lines and lines starting with `#` are skipped.
    public init(text: String) throws {
        var lines: [Line] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(trimmed.utf8)), let object = value.object else {
                throw RelayError(.invalid, code: "invalid_json", "line \(number + 1) is not a JSON object")
            }
            guard let name = object["type"]?.string, let type = EventType(rawValue: name) else {
                throw RelayError(.invalid, code: "unknown_type", "line \(number + 1) has no known type")
            }
            let offset: Double = switch object["offset"] {
            case .int(let value)?: Double(value)
            case .double(let value)?: value
            default: 0
            }
            lines.append(Line(offset: offset, id: object["id"]?.string, type: type, data: object["data"] ?? .object([:])))
        }
        self.lines = lines.sorted { $0.offset < $1.offset }
    }

    /// The draft of `line` for a replay that started at `start`; `round` keeps ids unique across replays.
    public static func draft(_ line: Line, start: Date, round: Int? = nil) -> EventDraft {
        var data = line.data
        if case .object(var fields) = data {
            for (relative, absolute) in [("startOffset", "start"), ("endOffset", "end")] {
                guard let value = fields.removeValue(forKey: relative) else { continue }
                let seconds: Double = switch value {
                case .int(let number): Double(number)
                case .double(let number): number
                default: 0
                }
                fields[absolute] = .string(ISO8601.format(start.addingTimeInterval(seconds)))
            }
            data = .object(fields)
        }
        let id = line.id.map { id in round.map { "\(id)-r\($0)" } ?? id }
        return EventDraft(id: id, type: line.type, at: start.addingTimeInterval(line.offset), data: data)
    }
}
