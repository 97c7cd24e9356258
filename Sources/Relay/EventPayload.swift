import Foundation

/// The `data` of an event as a typed value, one case per event type (SPEC.md, Events). Decoded once, when
/// the event is validated or read back from the log; every consumer (channel state, live sync, the
/// archive catalog, subjects) reads these fields instead of digging into the JSON. The wire keeps the
/// publisher's JSON (`Event.data`) unchanged.
public enum EventPayload: Sendable, Equatable {
    case sittingStarted(SittingStarted)
    case sittingSuspended(SittingStatusChange)
    case sittingResumed(SittingStatusChange)
    case sittingEnded(SittingStatusChange)
    case agendaSet(AgendaSet)
    case agendaItem(AgendaItemTaken)
    case speakerChanged(Speaker)
    case voteOpened(VoteOpened)
    case voteTally(VoteTally)
    case voteClosed(VoteClosed)
    case transcriptLine(TranscriptLine)
    case notice(Notice)

    /// Reads `data` as the payload of `type`; a schema error names the field (`.invalid`, 400).
    public init(type: EventType, data: JSONValue) throws {
        let fields = try DataFields(data)
        switch type {
        case .sittingStarted: self = .sittingStarted(try SittingStarted(fields))
        case .sittingSuspended: self = .sittingSuspended(try SittingStatusChange(fields))
        case .sittingResumed: self = .sittingResumed(try SittingStatusChange(fields))
        case .sittingEnded: self = .sittingEnded(try SittingStatusChange(fields))
        case .agendaSet: self = .agendaSet(try AgendaSet(fields))
        case .agendaItem: self = .agendaItem(AgendaItemTaken(itemId: try fields.string("itemId")))
        case .speakerChanged: self = .speakerChanged(try Speaker(fields))
        case .voteOpened: self = .voteOpened(try VoteOpened(fields))
        case .voteTally: self = .voteTally(VoteTally(voteId: try fields.string("voteId"), count: try VoteCount(fields)))
        case .voteClosed: self = .voteClosed(try VoteClosed(fields))
        case .transcriptLine: self = .transcriptLine(try TranscriptLine(fields))
        case .notice: self = .notice(Notice(text: try fields.string("text")))
        }
    }

    public var type: EventType {
        switch self {
        case .sittingStarted: .sittingStarted
        case .sittingSuspended: .sittingSuspended
        case .sittingResumed: .sittingResumed
        case .sittingEnded: .sittingEnded
        case .agendaSet: .agendaSet
        case .agendaItem: .agendaItem
        case .speakerChanged: .speakerChanged
        case .voteOpened: .voteOpened
        case .voteTally: .voteTally
        case .voteClosed: .voteClosed
        case .transcriptLine: .transcriptLine
        case .notice: .notice
        }
    }
}

/// `sitting.started`.
public struct SittingStarted: Sendable, Equatable {
    public var title: String
    public var chamber: String
    /// The meeting number (1 or more).
    public var number: Int64
    /// As published (an ISO 8601 date-time), so the snapshot echoes it unchanged.
    public var scheduledAt: String
    public var scheduledDate: Date

    init(_ fields: DataFields) throws {
        title = try fields.string("title")
        chamber = try fields.string("chamber")
        number = try fields.int("number")
        guard number >= 1 else { throw fields.invalid("number", "must be 1 or more") }
        scheduledAt = try fields.string("scheduledAt")
        scheduledDate = try fields.date("scheduledAt")
    }
}

/// `sitting.suspended`, `sitting.resumed`, `sitting.ended`.
public struct SittingStatusChange: Sendable, Equatable {
    public var reason: String?

    init(_ fields: DataFields) throws {
        reason = try fields.optionalString("reason")
    }
}

/// One item of the agenda as published (`{id, number, title, billId?, tags?}`).
public struct AgendaItem: Codable, Sendable, Equatable {
    public var id: String
    /// The item's number as printed on the order paper ("2", "3.1").
    public var number: String
    public var title: String
    public var billId: String?
    public var tags: [String]?

    public init(id: String, number: String, title: String, billId: String? = nil, tags: [String]? = nil) {
        self.id = id
        self.number = number
        self.title = title
        self.billId = billId
        self.tags = tags
    }

    init(_ fields: DataFields) throws {
        id = try fields.string("id")
        number = try fields.string("number")
        title = try fields.string("title")
        billId = try fields.optionalString("billId")
        if let value = fields.fields["tags"] {
            guard let tags = value.array?.compactMap(\.string), tags.count == value.array?.count else {
                throw fields.invalid("tags", "must be an array of strings")
            }
            self.tags = tags
        }
    }
}

/// `agenda.set`: the whole agenda, ids unique.
public struct AgendaSet: Sendable, Equatable {
    public var items: [AgendaItem]

    init(_ fields: DataFields) throws {
        var ids = Set<String>()
        items = try fields.array("items").enumerated().map { index, value in
            let itemFields = try DataFields(value, path: "\(fields.path).items[\(index)]")
            let item = try AgendaItem(itemFields)
            guard ids.insert(item.id).inserted else { throw itemFields.invalid("id", "duplicate item id \(item.id)") }
            return item
        }
    }
}

/// `agenda.item`: the item now under consideration.
public struct AgendaItemTaken: Sendable, Equatable {
    public var itemId: String
}

/// `speaker.changed`, and the snapshot's `speaker`.
public struct Speaker: Codable, Sendable, Equatable {
    public var name: String
    public var memberId: String?
    public var role: String?
    public var party: String?

    init(_ fields: DataFields) throws {
        name = try fields.string("name")
        memberId = try fields.optionalString("memberId")
        role = try fields.optionalString("role")
        party = try fields.optionalString("party")
    }
}

/// `vote.opened`.
public struct VoteOpened: Sendable, Equatable {
    public var voteId: String
    public var motion: String
    public var itemId: String?

    init(_ fields: DataFields) throws {
        voteId = try fields.string("voteId")
        motion = try fields.string("motion")
        itemId = try fields.optionalString("itemId")
    }
}

/// A count of votes: the running tally, or the result's.
public struct VoteCount: Codable, Sendable, Equatable {
    public var yes: Int64 = 0
    public var no: Int64 = 0
    public var abstain: Int64 = 0
    public var notVoting: Int64 = 0

    public init(yes: Int64 = 0, no: Int64 = 0, abstain: Int64 = 0, notVoting: Int64 = 0) {
        self.yes = yes
        self.no = no
        self.abstain = abstain
        self.notVoting = notVoting
    }

    init(_ fields: DataFields) throws {
        yes = try fields.int("yes")
        no = try fields.int("no")
        abstain = try fields.int("abstain")
        notVoting = try fields.int("notVoting")
    }
}

/// `vote.tally`: the running count of the open vote.
public struct VoteTally: Sendable, Equatable {
    public var voteId: String
    public var count: VoteCount
}

/// How one member voted.
public struct VoteRecord: Codable, Sendable, Equatable {
    public enum Choice: String, Codable, Sendable, CaseIterable { case yes, no, abstain, notVoting }
    public var name: String
    public var memberId: String?
    public var vote: Choice

    init(_ fields: DataFields) throws {
        name = try fields.string("name")
        memberId = try fields.optionalString("memberId")
        guard let vote = Choice(rawValue: try fields.string("vote")) else {
            throw fields.invalid("vote", "must be yes, no, abstain or notVoting")
        }
        self.vote = vote
    }
}

/// `vote.closed`: the result, its count and the per-member records.
public struct VoteClosed: Sendable, Equatable {
    public enum Result: String, Codable, Sendable { case passed, rejected, tied }
    public var voteId: String
    public var result: Result
    public var count: VoteCount
    public var records: [VoteRecord]

    init(_ fields: DataFields) throws {
        voteId = try fields.string("voteId")
        count = try VoteCount(fields)
        guard let result = Result(rawValue: try fields.string("result")) else {
            throw fields.invalid("result", "must be passed, rejected or tied")
        }
        self.result = result
        records = try fields.array("records").enumerated().map { index, value in
            try VoteRecord(DataFields(value, path: "\(fields.path).records[\(index)]"))
        }
    }
}

/// `transcript.line`: an interim line is replaced by the next line with the same `lineId`.
public struct TranscriptLine: Sendable, Equatable {
    public var lineId: String
    public var text: String
    public var speaker: String?
    /// A language tag such as `th` or `en`.
    public var lang: String
    public var start: Date
    public var end: Date
    public var final: Bool

    init(_ fields: DataFields) throws {
        lineId = try fields.string("lineId")
        text = try fields.string("text", allowEmpty: true)
        speaker = try fields.optionalString("speaker")
        lang = try fields.string("lang")
        guard lang.count <= 16, lang.allSatisfy({ $0.isLetter || $0 == "-" }) else {
            throw fields.invalid("lang", "must be a language tag such as th or en")
        }
        start = try fields.date("start")
        end = try fields.date("end")
        guard end >= start else { throw fields.invalid("end", "must not be before start") }
        final = try fields.bool("final")
    }
}

/// `notice`.
public struct Notice: Sendable, Equatable {
    public var text: String
}
