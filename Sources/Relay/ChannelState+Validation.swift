import Foundation
import WallClock

extension ChannelState {
    /// Checks a draft against the event schema and against the channel as it stands (SPEC.md, Events).
    /// Schema errors are `.invalid` (400); impossible-now errors are `.conflict` (422).
    public func validate(_ draft: EventDraft) throws {
        let fields = try DataFields(draft.data)
        switch draft.type {
        case .sittingStarted:
            _ = try fields.string("title")
            _ = try fields.string("chamber")
            guard try fields.int("number") >= 1 else { throw fields.invalid("number", "must be 1 or more") }
            _ = try fields.date("scheduledAt")
            if let sitting, sitting.status != .ended {
                throw RelayError(.conflict, code: "sitting_open", "sitting \(sitting.id) is still open: end it first")
            }
        case .sittingSuspended, .sittingResumed, .sittingEnded:
            _ = try fields.optionalString("reason")
            guard let sitting, sitting.status != .ended else {
                throw RelayError(.conflict, code: "no_sitting", "no sitting is open on this channel")
            }
            if draft.type == .sittingSuspended && sitting.status == .suspended {
                throw RelayError(.conflict, code: "already_suspended", "the sitting is already suspended")
            }
            if draft.type == .sittingResumed && sitting.status != .suspended {
                throw RelayError(.conflict, code: "not_suspended", "the sitting is not suspended")
            }
        case .agendaSet:
            let items = try fields.array("items")
            var ids = Set<String>()
            for (index, item) in items.enumerated() {
                let itemFields = try DataFields(item, path: "data.items[\(index)]")
                let id = try itemFields.string("id")
                _ = try itemFields.string("number")
                _ = try itemFields.string("title")
                _ = try itemFields.optionalString("billId")
                if let tags = itemFields.fields["tags"], !(tags.array?.allSatisfy({ $0.string != nil }) ?? false) {
                    throw itemFields.invalid("tags", "must be an array of strings")
                }
                guard ids.insert(id).inserted else { throw itemFields.invalid("id", "duplicate item id \(id)") }
            }
        case .agendaItem:
            let item = try fields.string("itemId")
            guard agendaIds.contains(item) else {
                throw RelayError(.conflict, code: "unknown_item", "item \(item) is not on the agenda", field: "data.itemId")
            }
        case .speakerChanged:
            _ = try fields.string("name")
            for key in ["memberId", "role", "party"] { _ = try fields.optionalString(key) }
        case .voteOpened:
            let vote = try fields.string("voteId")
            _ = try fields.string("motion")
            if let item = try fields.optionalString("itemId"), !agendaIds.contains(item) {
                throw RelayError(.conflict, code: "unknown_item", "item \(item) is not on the agenda", field: "data.itemId")
            }
            if let open = openVoteId {
                throw RelayError(.conflict, code: "vote_open", "vote \(open) is still open: close it first", field: "data.voteId")
            }
            if lastVote?["voteId"]?.string == vote {
                throw RelayError(.conflict, code: "vote_closed", "vote \(vote) was already closed", field: "data.voteId")
            }
        case .voteTally, .voteClosed:
            let vote = try fields.string("voteId")
            for key in ["yes", "no", "abstain", "notVoting"] { _ = try fields.int(key) }
            if draft.type == .voteClosed {
                let result = try fields.string("result")
                guard ["passed", "rejected", "tied"].contains(result) else { throw fields.invalid("result", "must be passed, rejected or tied") }
                for (index, record) in try fields.array("records").enumerated() {
                    let recordFields = try DataFields(record, path: "data.records[\(index)]")
                    _ = try recordFields.string("name")
                    _ = try recordFields.optionalString("memberId")
                    guard ["yes", "no", "abstain", "notVoting"].contains(try recordFields.string("vote")) else {
                        throw recordFields.invalid("vote", "must be yes, no, abstain or notVoting")
                    }
                }
            }
            guard openVoteId == vote else {
                throw RelayError(.conflict, code: "vote_not_open", "vote \(vote) is not open", field: "data.voteId")
            }
        case .transcriptLine:
            _ = try fields.string("lineId")
            _ = try fields.string("text", allowEmpty: true)
            _ = try fields.optionalString("speaker")
            let lang = try fields.string("lang")
            guard lang.count <= 16, lang.allSatisfy({ $0.isLetter || $0 == "-" }) else { throw fields.invalid("lang", "must be a language tag such as th or en") }
            let start = try fields.date("start"), end = try fields.date("end")
            guard end >= start else { throw fields.invalid("end", "must not be before start") }
            _ = try fields.bool("final")
        case .notice:
            _ = try fields.string("text")
        }
    }
}

/// Typed access to the fields of an event's `data`, with errors that name the field.
struct DataFields {
    let fields: [String: JSONValue]
    let path: String

    init(_ value: JSONValue, path: String = "data") throws {
        guard let object = value.object else { throw RelayError(.invalid, code: "wrong_type", "\(path) must be an object", field: path) }
        fields = object
        self.path = path
    }

    func invalid(_ key: String, _ message: String) -> RelayError {
        RelayError(.invalid, code: "invalid_value", "\(path).\(key) \(message)", field: "\(path).\(key)")
    }

    private func value(_ key: String) throws -> JSONValue {
        guard let value = fields[key], value != .null else {
            throw RelayError(.invalid, code: "missing_field", "\(path).\(key) is required", field: "\(path).\(key)")
        }
        return value
    }

    private func wrongType(_ key: String, _ expected: String) -> RelayError {
        RelayError(.invalid, code: "wrong_type", "\(path).\(key) must be \(expected)", field: "\(path).\(key)")
    }

    func string(_ key: String, allowEmpty: Bool = false) throws -> String {
        guard let text = try value(key).string else { throw wrongType(key, "a string") }
        guard allowEmpty || !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw invalid(key, "must not be empty") }
        guard text.utf8.count <= 10_000 else { throw invalid(key, "is longer than 10000 bytes") }
        return text
    }

    func optionalString(_ key: String) throws -> String? {
        guard let value = fields[key], value != .null else { return nil }
        guard let text = value.string else { throw wrongType(key, "a string") }
        return text
    }

    func int(_ key: String) throws -> Int64 {
        guard let number = try value(key).int else { throw wrongType(key, "an integer") }
        guard number >= 0 else { throw invalid(key, "must not be negative") }
        return number
    }

    func bool(_ key: String) throws -> Bool {
        guard let flag = try value(key).bool else { throw wrongType(key, "true or false") }
        return flag
    }

    func array(_ key: String) throws -> [JSONValue] {
        guard let items = try value(key).array else { throw wrongType(key, "an array") }
        return items
    }

    func date(_ key: String) throws -> Date {
        let text = try string(key)
        guard let date = ISO8601.parse(text) else { throw wrongType(key, "an ISO 8601 date-time such as 2026-11-22T09:41:07.250Z") }
        guard ISO8601.isSupported(date) else { throw RelayError.dateOutOfRange(field: "\(path).\(key)") }
        return date
    }
}
