import Foundation
import WallClock

/// How an event and a channel's state are written to an event log's columns (SQLite and PostgreSQL alike):
/// `data`, `subject` and the state as JSON text, `at` as ISO 8601 with milliseconds.
public enum StoredEventCoding {
    /// The text columns of `event`: (type, at, data, subject).
    public static func columns(of event: Event) throws -> (type: String, at: String, data: String, subject: String?) {
        let encoder = makeEncoder()
        return (
            event.type.rawValue, ISO8601.format(event.at), String(decoding: try encoder.encode(event.data), as: UTF8.self),
            try event.subject.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        )
    }

    /// The event stored in these columns.
    public static func event(
        channel: String, seq: Int64, id: String, sitting: String?, type: String, at: String, data: String, subject: String?
    ) throws -> Event {
        guard let type = EventType(rawValue: type), let at = ISO8601.parse(at) else {
            throw RelayError(.unavailable, code: "store_corrupt", "unreadable event row \(channel) \(seq)")
        }
        let decoder = makeDecoder()
        return Event(
            seq: seq, id: id, channel: channel, sitting: sitting, type: type, at: at,
            data: try decoder.decode(JSONValue.self, from: Data(data.utf8)),
            // A subject that no longer decodes only narrows what follow filters see; the event still counts.
            subject: subject.flatMap { try? decoder.decode(EventSubject.self, from: Data($0.utf8)) }
        )
    }

    public static func text(of state: ChannelState) throws -> String {
        String(decoding: try makeEncoder().encode(state), as: UTF8.self)
    }

    public static func state(from text: String) throws -> ChannelState {
        try makeDecoder().decode(ChannelState.self, from: Data(text.utf8))
    }

    private static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .wallClock
        return encoder
    }

    private static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .wallClock
        return decoder
    }
}
