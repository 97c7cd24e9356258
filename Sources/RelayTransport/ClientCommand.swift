import Foundation
import NIOCore
import Relay

/// What a `/ws` client asks for, parsed from one text message (SPEC.md "WebSocket"), and the protocol's
/// replies: shared by the NIO connection handler and the Hummingbird session, so both speak one protocol.
enum ClientCommand: Sendable {
    case subscribe(channel: String, since: Int64?)
    case unsubscribe(channel: String)
    /// Follow (`adding`) or stop following bills, items, tags and keywords; an empty unfollow clears them all.
    case follow(FollowFilter, adding: Bool)
    /// Answer at once (pong, error) and do nothing else.
    case reply(ByteBuffer)

    /// The command a client's JSON text makes; malformed ones become an `error` reply.
    static func parse(_ text: String, channels: Set<String>) -> ClientCommand {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)), value.object != nil else {
            return .reply(error("invalid_json", "a message must be a JSON object"))
        }
        switch value["op"]?.string {
        case "ping": return .reply(ByteBuffer(string: #"{"op":"pong"}"#))
        case "subscribe", "unsubscribe":
            guard let channel = value["channel"]?.string else { return .reply(error("missing_field", "channel is required")) }
            guard channels.contains(channel) else { return .reply(error("not_found", "no channel \(channel)")) }
            if value["op"]?.string == "unsubscribe" { return .unsubscribe(channel: channel) }
            switch value["since"] {
            case nil, .null?: return .subscribe(channel: channel, since: nil)
            case .int(let since)? where since >= 0: return .subscribe(channel: channel, since: since)
            default: return .reply(error("invalid_value", "since must be a non-negative integer"))
            }
        case "follow", "unfollow":
            func names(_ one: String, _ many: String) -> [String] {
                [value[one]?.string].compactMap { $0 } + (value[many]?.array?.compactMap(\.string) ?? [])
            }
            let change = FollowFilter(billIds: names("billId", "billIds"), itemIds: names("itemId", "itemIds"), tags: names("tag", "tags"),
                                      keywords: names("keyword", "keywords").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
            let adding = value["op"]?.string == "follow"
            if adding && change.isEmpty { return .reply(error("missing_field", "follow needs billId, itemId, tag or keyword")) }
            if let bad = change.keywords.first(where: { $0.count < Keyword.minLength || $0.count > Keyword.maxLength }) {
                return .reply(error("invalid_value", "a keyword is \(Keyword.minLength)–\(Keyword.maxLength) characters, not '\(bad.prefix(80))'"))
            }
            return .follow(change, adding: adding)
        case let op?: return .reply(error("unknown_op", "unknown op \(op)"))
        case nil: return .reply(error("missing_field", "op is required"))
        }
    }

    /// `following` after a follow or unfollow (an unfollow naming nothing clears everything).
    static func updated(_ following: FollowFilter, _ change: FollowFilter, adding: Bool) -> FollowFilter {
        if !adding && change.isEmpty { return FollowFilter() }
        func merge(_ old: [String], _ new: [String]) -> [String] {
            adding ? old + new.filter { !old.contains($0) } : old.filter { !new.contains($0) }
        }
        return FollowFilter(billIds: merge(following.billIds, change.billIds), itemIds: merge(following.itemIds, change.itemIds), tags: merge(following.tags, change.tags),
                            keywords: merge(following.keywords, change.keywords))
    }

    /// Keywords one connection may follow: each is looked for in every final transcript line it gets.
    static let maxKeywords = 20

    /// Bills, items and tags one connection may follow, together.
    static let maxFollowed = 200

    /// `{"op":"following", …}`: what the connection follows now.
    struct FollowingMessage: Encodable {
        var op = "following"
        let billIds: [String]
        let itemIds: [String]
        let tags: [String]
        let keywords: [String]
    }

    /// The `following` reply after a follow change, or the refusal when it follows too many keywords
    /// (nil then: the change is not applied).
    static func applying(_ change: FollowFilter, adding: Bool, to following: FollowFilter) -> (updated: FollowFilter?, reply: ByteBuffer) {
        let updated = updated(following, change, adding: adding)
        guard updated.keywords.count <= maxKeywords else {
            return (nil, error("too_many_keywords", "a connection follows at most \(maxKeywords) keywords"))
        }
        // Each reply repeats the whole set and each change merges into it: bounded, so neither grows
        // without limit on a connection's event loop.
        guard updated.billIds.count + updated.itemIds.count + updated.tags.count <= maxFollowed else {
            return (nil, error("too_many_follows", "a connection follows at most \(maxFollowed) bills, items and tags"))
        }
        let message = FollowingMessage(billIds: updated.billIds, itemIds: updated.itemIds, tags: updated.tags, keywords: updated.keywords)
        guard let body = try? EventCoding.encoder.encode(message) else { return (nil, error("internal", "could not encode the reply")) }
        return (updated, ByteBuffer(data: body))
    }

    static func error(_ code: String, _ message: String) -> ByteBuffer {
        let body = try? EventCoding.encoder.encode(["op": "error", "code": code, "message": message])
        return ByteBuffer(data: body ?? Data(#"{"op":"error"}"#.utf8))
    }

    static func encode(_ item: CatchUp.Item, channel: String) throws -> ByteBuffer {
        switch item {
        case .event(let event): return event.webSocketText
        case .snapshot(let seq, let state): return ByteBuffer(data: try EventCoding.encoder.encode(SnapshotMessage(channel: channel, seq: seq, state: state)))
        case .gap(let from, let to): return ByteBuffer(string: #"{"op":"gap","channel":"\#(channel)","from":\#(from),"to":\#(to)}"#)
        }
    }
}
