import Foundation

/// What an event is about, for following a bill, an item or a tag: the agenda items it concerns, with
/// their bill ids and tags as the agenda stood when it happened. Kept with the stored event (it cannot be
/// recomputed later: the agenda may have changed), never sent as part of the event.
public struct EventSubject: Codable, Sendable, Equatable {
    public var itemIds: [String] = []
    public var billIds: [String] = []
    public var tags: [String] = []

    public init(itemIds: [String] = [], billIds: [String] = [], tags: [String] = []) {
        self.itemIds = itemIds
        self.billIds = billIds
        self.tags = tags
    }
}

/// Which events a follower (a WebSocket `follow`, a webhook, a push subscription) wants: any listed bill,
/// item or tag, or a final transcript line that says one of `keywords`. Empty lists follow nothing in
/// particular, so every event matches.
public struct FollowFilter: Codable, Sendable, Equatable {
    public var billIds: [String] = []
    public var itemIds: [String] = []
    public var tags: [String] = []
    /// Words or phrases, matched inside final `transcript.line` text (`Keyword`).
    public var keywords: [String] = [] {
        didSet { folded = keywords.map(Keyword.fold).filter { !$0.isEmpty } }
    }
    /// `keywords` as they are compared, folded once (matching runs per subscriber per line).
    private var folded: [String] = []

    enum CodingKeys: String, CodingKey { case billIds, itemIds, tags, keywords }

    public init(billIds: [String] = [], itemIds: [String] = [], tags: [String] = [], keywords: [String] = []) {
        self.billIds = billIds
        self.itemIds = itemIds
        self.tags = tags
        self.keywords = keywords
        folded = keywords.map(Keyword.fold).filter { !$0.isEmpty }
    }

    /// Filters stored before keywords existed have no `keywords` key.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            billIds: try container.decodeIfPresent([String].self, forKey: .billIds) ?? [],
            itemIds: try container.decodeIfPresent([String].self, forKey: .itemIds) ?? [],
            tags: try container.decodeIfPresent([String].self, forKey: .tags) ?? [],
            keywords: try container.decodeIfPresent([String].self, forKey: .keywords) ?? []
        )
    }

    public var isEmpty: Bool { billIds.isEmpty && itemIds.isEmpty && tags.isEmpty && keywords.isEmpty }

    /// Whether `event` is followed: its subject names a followed bill, item or tag, or it is a final
    /// transcript line containing a followed keyword. `foldedLine`: the line's text already folded
    /// (`EncodedEvent.foldedLine`, once per event), else it is folded here.
    public func matches(_ event: Event, foldedLine: String? = nil) -> Bool {
        if isEmpty { return true }
        if matchesSubject(event.subject) { return true }
        guard !folded.isEmpty, case .transcriptLine(let line) = event.payload, line.final else { return false }
        let text = foldedLine ?? Keyword.fold(line.text)
        return folded.contains { Keyword.says(text, $0) }
    }

    /// Whether `subject` names a followed bill, item or tag (an empty filter follows everything).
    public func matches(_ subject: EventSubject?) -> Bool {
        isEmpty || matchesSubject(subject)
    }

    private func matchesSubject(_ subject: EventSubject?) -> Bool {
        guard let subject, !(billIds.isEmpty && itemIds.isEmpty && tags.isEmpty) else { return false }
        return !Set(billIds).isDisjoint(with: subject.billIds) || !Set(itemIds).isDisjoint(with: subject.itemIds)
            || !Set(tags).isDisjoint(with: subject.tags)
    }
}

extension ChannelState {
    /// The subject of `event` given the state before it: `agenda.item` and `vote.*` concern one item (a
    /// tally or result the item of the open vote), `agenda.set` every item it lists.
    public func subject(of event: Event) -> EventSubject? {
        let items: [String]
        var catalog = agenda
        switch event.payload {
        case .agendaItem(let taken): items = [taken.itemId]
        case .voteOpened(let vote): items = [vote.itemId].compactMap { $0 }
        case .voteTally, .voteClosed: items = [openVote?.itemId].compactMap { $0 }
        case .agendaSet(let set):
            catalog = set.items
            items = catalog.map(\.id)
        default: return nil
        }
        guard !items.isEmpty else { return nil }
        var subject = EventSubject(itemIds: items)
        for item in catalog where items.contains(item.id) {
            if let bill = item.billId { subject.billIds.append(bill) }
            subject.tags += item.tags ?? []
        }
        return subject
    }
}
