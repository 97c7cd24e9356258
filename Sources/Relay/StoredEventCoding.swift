import Foundation
import WallClock

/// One event as an event log's columns hold it (SQLite and PostgreSQL alike): `data`, `subject` and the
/// state as JSON text, `at` as ISO 8601 with milliseconds.
public struct StoredEventRow: Sendable, Equatable {
    public var channel: String
    public var seq: Int64
    public var id: String
    public var sitting: String?
    public var type: String
    public var at: String
    public var data: String
    public var subject: String?

    public init(channel: String, seq: Int64, id: String, sitting: String?, type: String, at: String, data: String, subject: String?) {
        self.channel = channel
        self.seq = seq
        self.id = id
        self.sitting = sitting
        self.type = type
        self.at = at
        self.data = data
        self.subject = subject
    }
}

/// A stored row that does not read back as an event (written behind the server's back, or by a version
/// with a bug): it is moved out of the way so that it stalls nobody.
public struct UnreadableEventRow: Sendable, Equatable {
    public var row: StoredEventRow
    public var reason: String
}

/// How an event and a channel's state are written to an event log's columns and read back.
public enum StoredEventCoding {
    /// The columns of `event`.
    public static func row(of event: Event) throws -> StoredEventRow {
        let encoder = makeEncoder()
        return StoredEventRow(
            channel: event.channel, seq: event.seq, id: event.id, sitting: event.sitting, type: event.type.rawValue,
            at: ISO8601.format(event.at), data: String(decoding: try encoder.encode(event.data), as: UTF8.self),
            subject: try event.subject.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        )
    }

    /// The event stored in `row`; throws `StoredEventError` naming what does not read.
    public static func event(_ row: StoredEventRow) throws -> Event {
        guard let type = EventType(rawValue: row.type) else { throw StoredEventError("unknown type \(row.type)") }
        guard let at = ISO8601.parse(row.at), ISO8601.isSupported(at) else { throw StoredEventError("unreadable at \(row.at.prefix(40))") }
        let decoder = makeDecoder()
        let data: JSONValue
        do { data = try decoder.decode(JSONValue.self, from: Data(row.data.utf8)) } catch { throw StoredEventError("data is not JSON") }
        let payload: EventPayload
        do { payload = try EventPayload(type: type, data: data) } catch { throw StoredEventError("data does not match \(type.rawValue): \(error)") }
        return Event(
            seq: row.seq, id: row.id, channel: row.channel, sitting: row.sitting, at: at, data: data, payload: payload,
            // A subject that no longer decodes only narrows what follow filters see; the event still counts.
            subject: row.subject.flatMap { try? decoder.decode(EventSubject.self, from: Data($0.utf8)) }
        )
    }

    /// The rows that read as events, in order, and those that do not.
    public static func events(_ rows: [StoredEventRow]) -> (events: [Event], unreadable: [UnreadableEventRow]) {
        var events: [Event] = [], unreadable: [UnreadableEventRow] = []
        for row in rows {
            do { events.append(try event(row)) } catch {
                unreadable.append(UnreadableEventRow(row: row, reason: "\(error)"))
            }
        }
        return (events, unreadable)
    }

    /// Whether `event` reads back from its columns exactly as it is: checked before it is stored, so an
    /// acknowledged event can always be read again.
    public static func roundTrips(_ event: Event) -> Bool {
        guard let row = try? row(of: event), let back = try? self.event(row) else { return false }
        return back == event
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

/// Why a stored row is not an event.
public struct StoredEventError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
