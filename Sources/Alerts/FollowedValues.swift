import Foundation
import GRDB
import Relay
import Synchronization

/// The follow values an event matches, for the alert stores whose `follows` table has rows
/// `(kind, value, channel, subscription_id)`: `bill`, `item`, `tag` from the event's subject, and the
/// followed `keyword`s (stored folded) its final line contains.
enum FollowedValues {
    static func of(_ event: Event, in db: Database, keywords: FollowedKeywords) throws -> [String: [String]] {
        if case .transcriptLine(let line) = event.payload {
            guard line.final else { return [:] }
            let text = Keyword.fold(line.text)
            let said = try keywords.values(channel: event.channel, in: db).filter { Keyword.says(text, $0) }.sorted()
            return said.isEmpty ? [:] : ["keyword": said]
        }
        guard let subject = event.subject else { return [:] }
        var values: [String: [String]] = [:]
        if !subject.billIds.isEmpty { values["bill"] = subject.billIds }
        if !subject.itemIds.isEmpty { values["item"] = subject.itemIds }
        if !subject.tags.isEmpty { values["tag"] = subject.tags }
        return values
    }

    /// The condition on `follows f` that `values` match; its four arguments are `arguments(values)`.
    static let condition = """
        ((f.kind = 'bill' AND f.value IN (SELECT value FROM json_each(?)))
        OR (f.kind = 'item' AND f.value IN (SELECT value FROM json_each(?)))
        OR (f.kind = 'tag' AND f.value IN (SELECT value FROM json_each(?)))
        OR (f.kind = 'keyword' AND f.value IN (SELECT value FROM json_each(?))))
        """

    static func arguments(_ values: [String: [String]]) throws -> [String] {
        try ["bill", "item", "tag", "keyword"].map { kind in
            String(decoding: try JSONEncoder().encode(values[kind] ?? []), as: UTF8.self)
        }
    }
}

/// The distinct followed keywords of a store's `follows` table, per channel (`""`: every channel), read
/// once and kept until a follow changes (the store calls `invalidate` inside the changing transaction).
final class FollowedKeywords: Sendable {
    private let cache = Mutex<[String: Set<String>]?>(nil)

    func invalidate() { cache.withLock { $0 = nil } }

    /// The keywords that apply to `channel`.
    func values(channel: String, in db: Database) throws -> Set<String> {
        let all = try cache.withLock { cached -> [String: Set<String>] in
            if let cached { return cached }
            var byChannel: [String: Set<String>] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT DISTINCT channel, value FROM follows WHERE kind = 'keyword'") {
                byChannel[row["channel"], default: []].insert(row["value"])
            }
            cached = byChannel
            return byChannel
        }
        return (all[""] ?? []).union(all[channel] ?? [])
    }
}
