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
    /// The agenda items as published (`{id, number, title, billId?}`).
    public var agenda: [JSONValue] = []
    public var currentItem: String?
    public var speaker: JSONValue?
    /// The open vote's `vote.opened` data with its latest running tally.
    public var openVote: JSONValue?
    /// The last `vote.closed` data.
    public var lastVote: JSONValue?
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
        public var agenda: [JSONValue]
        public var currentItem: String?
        public var speaker: JSONValue?
        public var openVote: JSONValue?
        public var lastVote: JSONValue?

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
        let data = event.data
        switch event.type {
        case .sittingStarted:
            let next = nextSittingId(channel: event.channel, at: event.at)
            sittingDay = next.day
            sittingsThatDay = next.ordinal
            sitting = Sitting(
                id: event.sitting ?? next.id, title: data["title"]?.string ?? "", chamber: data["chamber"]?.string ?? "",
                number: data["number"]?.int ?? 0, scheduledAt: data["scheduledAt"]?.string ?? "", startedAt: event.at, status: .open
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
        case .agendaSet:
            agenda = data["items"]?.array ?? []
            if let current = currentItem, !agendaIds.contains(current) { currentItem = nil }
        case .agendaItem: currentItem = data["itemId"]?.string
        case .speakerChanged: speaker = data
        case .voteOpened: openVote = data
        case .voteTally:
            guard case .object(var vote) = openVote, let tally = data.object else { return }
            for key in ["yes", "no", "abstain", "notVoting"] { vote[key] = tally[key] }
            openVote = .object(vote)
        case .voteClosed:
            openVote = nil
            lastVote = data
        case .transcriptLine, .notice:
            break
        }
    }

    var agendaIds: Set<String> { Set(agenda.compactMap { $0["id"]?.string }) }
    var openVoteId: String? { openVote?["voteId"]?.string }
}
