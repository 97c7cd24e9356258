import Foundation

/// The kinds of event a sitting produces (SPEC.md, Events).
public enum EventType: String, Codable, Sendable, CaseIterable {
    case sittingStarted = "sitting.started"
    case sittingSuspended = "sitting.suspended"
    case sittingResumed = "sitting.resumed"
    case sittingEnded = "sitting.ended"
    case agendaSet = "agenda.set"
    case agendaItem = "agenda.item"
    case speakerChanged = "speaker.changed"
    case voteOpened = "vote.opened"
    case voteTally = "vote.tally"
    case voteClosed = "vote.closed"
    case transcriptLine = "transcript.line"
    case notice
}

/// One stored event, as every transport sends it.
public struct Event: Codable, Sendable, Equatable {
    /// Per channel: 1, 2, 3 … with no gaps, never reused.
    public var seq: Int64
    /// The publisher's idempotency key (generated when the publisher gave none).
    public var id: String
    public var channel: String
    /// The sitting open when the event happened; nil between sittings.
    public var sitting: String?
    public var type: EventType { payload.type }
    /// Wall-clock time of what happened, on the clock of `EXT-X-PROGRAM-DATE-TIME`.
    public var at: Date
    /// `data` as the publisher sent it: what the wire carries.
    public let data: JSONValue
    /// `data` read as its type's fields: what the server's consumers read.
    public let payload: EventPayload
    /// What the event is about (stored with it, not part of its JSON).
    public var subject: EventSubject?

    /// An event whose `data` was already read as `payload` (by validation).
    public init(seq: Int64, id: String, channel: String, sitting: String?, at: Date, data: JSONValue, payload: EventPayload, subject: EventSubject? = nil) {
        self.seq = seq
        self.id = id
        self.channel = channel
        self.sitting = sitting
        self.at = at
        self.data = data
        self.payload = payload
        self.subject = subject
    }

    /// An event read from elsewhere: throws the schema error when `data` is not a `type` payload.
    public init(seq: Int64, id: String, channel: String, sitting: String?, type: EventType, at: Date, data: JSONValue, subject: EventSubject? = nil) throws {
        self.init(seq: seq, id: id, channel: channel, sitting: sitting, at: at, data: data, payload: try EventPayload(type: type, data: data), subject: subject)
    }

    enum CodingKeys: String, CodingKey { case seq, id, channel, sitting, type, at, data }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(EventType.self, forKey: .type)
        let data = try container.decode(JSONValue.self, forKey: .data)
        let payload: EventPayload
        do { payload = try EventPayload(type: type, data: data) } catch {
            throw DecodingError.dataCorruptedError(forKey: .data, in: container, debugDescription: "\(error)")
        }
        self.init(
            seq: try container.decode(Int64.self, forKey: .seq), id: try container.decode(String.self, forKey: .id),
            channel: try container.decode(String.self, forKey: .channel), sitting: try container.decodeIfPresent(String.self, forKey: .sitting),
            at: try container.decode(Date.self, forKey: .at), data: data, payload: payload
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seq, forKey: .seq)
        try container.encode(id, forKey: .id)
        try container.encode(channel, forKey: .channel)
        try container.encodeIfPresent(sitting, forKey: .sitting)
        try container.encode(type, forKey: .type)
        try container.encode(at, forKey: .at)
        try container.encode(data, forKey: .data)
    }
}

/// What a publisher sends: `{id?, type, at?, data}`.
public struct EventDraft: Sendable, Equatable {
    public var id: String?
    public var type: EventType
    public var at: Date?
    public var data: JSONValue

    public init(id: String? = nil, type: EventType, at: Date? = nil, data: JSONValue) {
        self.id = id
        self.type = type
        self.at = at
        self.data = data
    }
}
