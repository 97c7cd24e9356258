import Foundation
import WallClock
import NIOCore
import Relay

/// Reads a publish body: one `{id?, type, at?, data}` object or an array of them.
enum EventBody {
    static func parse(_ body: ByteBuffer, maxBatch: Int) throws -> (drafts: [EventDraft], isBatch: Bool) {
        let value: JSONValue
        do { value = try JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)) } catch {
            throw RelayError(.invalid, code: "invalid_json", "the body is not JSON")
        }
        switch value {
        case .object:
            return ([try draft(value, path: nil)], false)
        case .array(let items):
            guard !items.isEmpty else { throw RelayError(.invalid, code: "empty_batch", "the batch has no events") }
            guard items.count <= maxBatch else { throw RelayError(.invalid, code: "batch_too_large", "at most \(maxBatch) events per request") }
            return (try items.enumerated().map { try draft($1, path: "[\($0)]") }, true)
        default:
            throw RelayError(.invalid, code: "wrong_type", "the body must be an event object or an array of them")
        }
    }

    private static func draft(_ value: JSONValue, path: String?) throws -> EventDraft {
        func field(_ name: String) -> String { path.map { "\($0).\(name)" } ?? name }
        guard let object = value.object else { throw RelayError(.invalid, code: "wrong_type", "an event must be an object", field: path) }
        let known: Set<String> = ["id", "type", "at", "data"]
        if let extra = object.keys.first(where: { !known.contains($0) }) {
            throw RelayError(.invalid, code: "unknown_field", "unknown field \(extra)", field: field(extra))
        }
        guard let typeValue = object["type"] else { throw RelayError(.invalid, code: "missing_field", "type is required", field: field("type")) }
        guard let typeName = typeValue.string else { throw RelayError(.invalid, code: "wrong_type", "type must be a string", field: field("type")) }
        guard let type = EventType(rawValue: typeName) else {
            throw RelayError(.invalid, code: "unknown_type", "unknown event type \(typeName)", field: field("type"))
        }
        var id: String?
        if let idValue = object["id"], idValue != .null {
            guard let text = idValue.string, !text.isEmpty, text.utf8.count <= 200 else {
                throw RelayError(.invalid, code: "wrong_type", "id must be a non-empty string of at most 200 bytes", field: field("id"))
            }
            id = text
        }
        var at: Date?
        if let atValue = object["at"], atValue != .null {
            guard let text = atValue.string, let date = ISO8601.parse(text) else {
                throw RelayError(.invalid, code: "wrong_type", "at must be an ISO 8601 date-time", field: field("at"))
            }
            guard ISO8601.isSupported(date) else { throw RelayError.dateOutOfRange(field: field("at")) }
            at = date
        }
        guard let data = object["data"] else { throw RelayError(.invalid, code: "missing_field", "data is required", field: field("data")) }
        guard data.object != nil else { throw RelayError(.invalid, code: "wrong_type", "data must be an object", field: field("data")) }
        return EventDraft(id: id, type: type, at: at, data: data)
    }
}
