import Foundation
import GRDB
import Relay

/// The follow values an event matches, for the alert stores whose `follows` table has rows
/// `(kind, value, channel, subscription_id)`: `bill`, `item`, `tag` from the event's subject, and the
/// followed `keyword`s (stored folded) its final line contains.
enum FollowedValues {
    static func of(_ event: Event, in db: Database) throws -> [String: [String]] {
        if case .transcriptLine(let line) = event.payload {
            guard line.final else { return [:] }
            let text = Keyword.fold(line.text)
            let keywords = try String.fetchAll(db, sql: "SELECT DISTINCT value FROM follows WHERE kind = 'keyword' AND channel IN ('', ?)", arguments: [event.channel])
            let said = keywords.filter { !$0.isEmpty && text.contains($0) }
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
