import Foundation

/// One sitting as the catalog lists it.
public struct SittingSummary: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case live, suspended, ended
    }

    public var id: String
    public var channel: String
    public var title: String
    public var chamber: String?
    public var number: Int?
    public var scheduledAt: Date?
    public var startedAt: Date
    public var endedAt: Date?
    public var status: Status
    /// Seconds of recorded media; nil until the archive is first written.
    public var duration: Double?
    /// When the archive files were last written (at the end, or provisionally after a crash).
    public var archivedAt: Date?
}

/// An agenda item of a sitting and where it starts in the recording.
public struct AgendaEntry: Codable, Sendable, Equatable {
    public var id: String
    public var number: String
    public var title: String
    public var billId: String?
    /// When it first became the item under consideration; nil if it never did.
    public var startedAt: Date?
    /// Seconds into the recording; nil until archived or when it was never taken up.
    public var offset: Double?

    public init(id: String, number: String, title: String, billId: String? = nil, startedAt: Date? = nil, offset: Double? = nil) {
        self.id = id
        self.number = number
        self.title = title
        self.billId = billId
        self.startedAt = startedAt
        self.offset = offset
    }
}

/// One member's vote.
public struct MemberVote: Codable, Sendable, Equatable {
    public var name: String
    public var memberId: String?
    public var vote: String

    public init(name: String, memberId: String? = nil, vote: String) {
        self.name = name
        self.memberId = memberId
        self.vote = vote
    }
}

/// A vote of a sitting: opened, counted, and (once closed) its result and records.
public struct VoteEntry: Codable, Sendable, Equatable {
    public var id: String
    public var itemId: String?
    public var motion: String
    public var openedAt: Date
    public var closedAt: Date?
    public var result: String?
    public var yes: Int
    public var no: Int
    public var abstain: Int
    public var notVoting: Int
    public var records: [MemberVote]
    public var offset: Double?
}

/// A transcript line (its latest text: a final line replaces the interim ones with the same id).
public struct TranscriptEntry: Codable, Sendable, Equatable {
    public var id: String
    public var text: String
    public var speaker: String?
    public var lang: String
    public var start: Date
    public var end: Date
    public var final: Bool
    public var offset: Double?

    public init(id: String, text: String, speaker: String? = nil, lang: String, start: Date, end: Date, final: Bool, offset: Double? = nil) {
        self.id = id
        self.text = text
        self.speaker = speaker
        self.lang = lang
        self.start = start
        self.end = end
        self.final = final
        self.offset = offset
    }
}

/// A sitting with everything the archive knows about it.
public struct SittingDetail: Codable, Sendable, Equatable {
    public var sitting: SittingSummary
    public var agenda: [AgendaEntry]
    public var votes: [VoteEntry]
    public var transcript: [TranscriptEntry]
}

/// A transcript line that matches a search.
public struct SearchHit: Codable, Sendable, Equatable {
    public var sitting: String
    public var channel: String
    public var title: String
    public var lineId: String
    public var text: String
    public var speaker: String?
    public var lang: String
    public var at: Date
    /// Seconds into the recording; nil while the sitting has not been archived yet.
    public var offset: Double?
}

/// A media segment on disk, as the live path recorded it.
public struct RecordedSegment: Codable, Sendable, Equatable {
    public var msn: Int
    public var duration: Double
    public var programDateTime: Date
    public var discontinuity: Bool
    public var generation: Int

    public init(msn: Int, duration: Double, programDateTime: Date, discontinuity: Bool, generation: Int) {
        self.msn = msn
        self.duration = duration
        self.programDateTime = programDateTime
        self.discontinuity = discontinuity
        self.generation = generation
    }
}

/// A chapter of the recording: one per agenda item taken up.
public struct Chapter: Codable, Sendable, Equatable {
    public var itemId: String
    public var number: String
    public var title: String
    public var start: Double
    public var end: Double
}
