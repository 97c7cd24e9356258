import Foundation

/// What a channel looks like now, derived from its events: persisted with every write so it survives a
/// restart, and sent to subscribers as the snapshot.
public struct ChannelState: Codable, Sendable, Equatable {
    public struct Sitting: Codable, Sendable, Equatable {
        public enum Status: String, Codable, Sendable { case open, suspended, ended }
        public var id: String
        public var title: String
        public var chamber: String
        public var number: Int64
        public var scheduledAt: String
        public var startedAt: Date
        public var status: Status
        public var endedAt: Date?
    }

    public var sitting: Sitting?
    /// The agenda items as published (`{id, number, title, billId?, tags?}`).
    public var agenda: [AgendaItem] = []
    public var currentItem: String?
    public var speaker: Speaker?
    /// The open vote with its latest running tally.
    public var openVote: OpenVote?
    /// The last vote closed, with the motion and item it was opened with.
    public var lastVote: ClosedVote?
    /// Sittings already started on the channel on `sittingDay` (for ids `YYYYMMDD-channel-N`).
    var sittingDay: String?
    var sittingsThatDay = 0

    public init() {}

    /// The snapshot subscribers see: `{sitting, agenda, currentItem, speaker, openVote, lastVote}`.
    public var snapshot: Snapshot {
        Snapshot(sitting: sitting, agenda: agenda, currentItem: currentItem, speaker: speaker, openVote: openVote, lastVote: lastVote)
    }

    public struct Snapshot: Codable, Sendable, Equatable {
        public var sitting: Sitting?
        public var agenda: [AgendaItem]
        public var currentItem: String?
        public var speaker: Speaker?
        public var openVote: OpenVote?
        public var lastVote: ClosedVote?

        public func encode(to encoder: any Encoder) throws {
            // Absent values are sent as null, so clients always see every key.
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(sitting, forKey: .sitting)
            try container.encode(agenda, forKey: .agenda)
            try container.encode(currentItem, forKey: .currentItem)
            try container.encode(speaker, forKey: .speaker)
            try container.encode(openVote, forKey: .openVote)
            try container.encode(lastVote, forKey: .lastVote)
        }
    }

    /// The sitting id a `sitting.started` at `date` gets: `YYYYMMDD-channel-N`, the date in Bangkok time.
    func nextSittingId(channel: String, at date: Date) -> (id: String, day: String, ordinal: Int) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Bangkok") ?? TimeZone(secondsFromGMT: 7 * 3600)!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        let day = String(format: "%04d%02d%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        let ordinal = day == sittingDay ? sittingsThatDay + 1 : 1
        return ("\(day)-\(channel)-\(ordinal)", day, ordinal)
    }

    /// Applies an event that passed `validate`.
    public mutating func apply(_ event: Event) {
        switch event.payload {
        case .sittingStarted(let started):
            let next = nextSittingId(channel: event.channel, at: event.at)
            sittingDay = next.day
            sittingsThatDay = next.ordinal
            sitting = Sitting(
                id: event.sitting ?? next.id, title: started.title, chamber: started.chamber, number: started.number,
                scheduledAt: started.scheduledAt, startedAt: event.at, status: .open
            )
            agenda = []
            currentItem = nil
            speaker = nil
            openVote = nil
        case .sittingSuspended: sitting?.status = .suspended
        case .sittingResumed: sitting?.status = .open
        case .sittingEnded:
            sitting?.status = .ended
            sitting?.endedAt = event.at
            openVote = nil
            speaker = nil
        case .agendaSet(let set):
            agenda = set.items
            if let current = currentItem, !agendaIds.contains(current) { currentItem = nil }
        case .agendaItem(let taken): currentItem = taken.itemId
        case .speakerChanged(let changed): speaker = changed
        case .voteOpened(let opened): openVote = OpenVote(voteId: opened.voteId, motion: opened.motion, itemId: opened.itemId)
        case .voteTally(let tally): openVote?.count = tally.count
        case .voteClosed(let closed):
            // The result keeps what the vote was about: a late joiner sees the motion, as a live viewer did.
            lastVote = ClosedVote(
                voteId: closed.voteId, motion: openVote?.motion, itemId: openVote?.itemId, result: closed.result,
                count: closed.count, records: closed.records
            )
            openVote = nil
        case .transcriptLine, .notice:
            break
        }
    }

    var agendaIds: Set<String> { Set(agenda.map(\.id)) }
}

/// The snapshot's `openVote`: `{voteId, motion, itemId?, yes, no, abstain, notVoting}`.
public struct OpenVote: Codable, Sendable, Equatable {
    public var voteId: String
    public var motion: String
    public var itemId: String?
    public var count = VoteCount()

    enum CodingKeys: String, CodingKey { case voteId, motion, itemId }

    init(voteId: String, motion: String, itemId: String?) {
        self.voteId = voteId
        self.motion = motion
        self.itemId = itemId
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        voteId = try container.decode(String.self, forKey: .voteId)
        // States stored by earlier versions kept the raw `vote.opened` data, without counts.
        motion = try container.decodeIfPresent(String.self, forKey: .motion) ?? ""
        itemId = try container.decodeIfPresent(String.self, forKey: .itemId)
        count = (try? VoteCount(from: decoder)) ?? VoteCount()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(voteId, forKey: .voteId)
        try container.encode(motion, forKey: .motion)
        try container.encodeIfPresent(itemId, forKey: .itemId)
        try count.encode(to: encoder)
    }
}

/// The snapshot's `lastVote`: `{voteId, motion, itemId?, result, yes, no, abstain, notVoting, records}`.
public struct ClosedVote: Codable, Sendable, Equatable {
    public var voteId: String
    /// nil only in states stored before the motion was kept.
    public var motion: String?
    public var itemId: String?
    public var result: VoteClosed.Result
    public var count: VoteCount
    public var records: [VoteRecord]

    enum CodingKeys: String, CodingKey { case voteId, motion, itemId, result, records }

    init(voteId: String, motion: String?, itemId: String?, result: VoteClosed.Result, count: VoteCount, records: [VoteRecord]) {
        self.voteId = voteId
        self.motion = motion
        self.itemId = itemId
        self.result = result
        self.count = count
        self.records = records
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        voteId = try container.decode(String.self, forKey: .voteId)
        motion = try container.decodeIfPresent(String.self, forKey: .motion)
        itemId = try container.decodeIfPresent(String.self, forKey: .itemId)
        result = try container.decode(VoteClosed.Result.self, forKey: .result)
        count = try VoteCount(from: decoder)
        records = try container.decodeIfPresent([VoteRecord].self, forKey: .records) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(voteId, forKey: .voteId)
        try container.encodeIfPresent(motion, forKey: .motion)
        try container.encodeIfPresent(itemId, forKey: .itemId)
        try container.encode(result, forKey: .result)
        try count.encode(to: encoder)
        try container.encode(records, forKey: .records)
    }
}
