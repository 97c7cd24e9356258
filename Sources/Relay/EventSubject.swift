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

/// Which events a follower (a WebSocket `follow`, a webhook) wants: any listed bill, item or tag. Empty
/// lists follow nothing in particular, so every event matches.
public struct FollowFilter: Codable, Sendable, Equatable {
    public var billIds: [String] = []
    public var itemIds: [String] = []
    public var tags: [String] = []

    public init(billIds: [String] = [], itemIds: [String] = [], tags: [String] = []) {
        self.billIds = billIds
        self.itemIds = itemIds
        self.tags = tags
    }

    public var isEmpty: Bool { billIds.isEmpty && itemIds.isEmpty && tags.isEmpty }

    public func matches(_ subject: EventSubject?) -> Bool {
        if isEmpty { return true }
        guard let subject else { return false }
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
