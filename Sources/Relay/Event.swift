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
    public var type: EventType
    /// Wall-clock time of what happened, on the clock of `EXT-X-PROGRAM-DATE-TIME`.
    public var at: Date
    public var data: JSONValue
    /// What the event is about (stored with it, not part of its JSON).
    public var subject: EventSubject?

    public init(seq: Int64, id: String, channel: String, sitting: String?, type: EventType, at: Date, data: JSONValue, subject: EventSubject? = nil) {
        self.seq = seq
        self.id = id
        self.channel = channel
        self.sitting = sitting
        self.type = type
        self.at = at
        self.data = data
        self.subject = subject
    }

    enum CodingKeys: String, CodingKey { case seq, id, channel, sitting, type, at, data }
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
