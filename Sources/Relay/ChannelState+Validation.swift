import Foundation
import WallClock

extension ChannelState {
    /// Checks a draft against the event schema and against the channel as it stands (SPEC.md, Events), and
    /// returns its typed payload. Schema errors are `.invalid` (400); impossible-now errors are `.conflict` (422).
    @discardableResult
    public func validate(_ draft: EventDraft) throws -> EventPayload {
        let payload = try EventPayload(type: draft.type, data: draft.data)
        switch payload {
        case .sittingStarted:
            if let sitting, sitting.status != .ended {
                throw RelayError(.conflict, code: "sitting_open", "sitting \(sitting.id) is still open: end it first")
            }
        case .sittingSuspended, .sittingResumed, .sittingEnded:
            guard let sitting, sitting.status != .ended else {
                throw RelayError(.conflict, code: "no_sitting", "no sitting is open on this channel")
            }
            if draft.type == .sittingSuspended && sitting.status == .suspended {
                throw RelayError(.conflict, code: "already_suspended", "the sitting is already suspended")
            }
            if draft.type == .sittingResumed && sitting.status != .suspended {
                throw RelayError(.conflict, code: "not_suspended", "the sitting is not suspended")
            }
        case .agendaItem(let taken):
            try requireOnAgenda(taken.itemId)
        case .voteOpened(let vote):
            if let item = vote.itemId { try requireOnAgenda(item) }
            if let open = openVote?.voteId {
                throw RelayError(.conflict, code: "vote_open", "vote \(open) is still open: close it first", field: "data.voteId")
            }
            if lastVote?.voteId == vote.voteId {
                throw RelayError(.conflict, code: "vote_closed", "vote \(vote.voteId) was already closed", field: "data.voteId")
            }
        case .voteTally(let tally):
            try requireOpen(tally.voteId)
        case .voteClosed(let closed):
            try requireOpen(closed.voteId)
        case .agendaSet, .speakerChanged, .transcriptLine, .notice:
            break
        }
        return payload
    }

    private func requireOnAgenda(_ item: String) throws {
        guard agendaIds.contains(item) else {
            throw RelayError(.conflict, code: "unknown_item", "item \(item) is not on the agenda", field: "data.itemId")
        }
    }

    private func requireOpen(_ vote: String) throws {
        guard openVote?.voteId == vote else {
            throw RelayError(.conflict, code: "vote_not_open", "vote \(vote) is not open", field: "data.voteId")
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
