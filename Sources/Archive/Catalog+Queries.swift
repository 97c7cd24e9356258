import Foundation
import GRDB
import WallClock

extension Catalog {
    /// Sittings newest first, optionally of one channel and starting within `from ... to`.
    public func sittings(channel: String? = nil, from: Date? = nil, to: Date? = nil, limit: Int = 100) async throws -> [SittingSummary] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let channel { conditions.append("channel = ?"); arguments += [channel] }
        if let from { conditions.append("started_at >= ?"); arguments += [ISO8601.format(from)] }
        if let to { conditions.append("started_at <= ?"); arguments += [ISO8601.format(to)] }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments += [limit]
        return try await database.read { [arguments] db in
            try Row.fetchAll(db, sql: "SELECT * FROM sittings \(filter) ORDER BY started_at DESC LIMIT ?", arguments: arguments).compactMap(Self.summary)
        }
    }

    /// Sittings not ended: live ones, or ones a crash left open.
    public func openSittings() async throws -> [SittingSummary] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sittings WHERE status != 'ended' ORDER BY started_at").compactMap(Self.summary)
        }
    }

    /// Sittings that ended before `date` and whose archive was not written after their end.
    public func sittingsAwaitingArchive(endedBefore date: Date) async throws -> [String] {
        try await database.read { db in
            try String.fetchAll(db, sql: """
                SELECT id FROM sittings WHERE status = 'ended' AND ended_at < ? AND (archived_at IS NULL OR archived_at < ended_at)
                """, arguments: [ISO8601.format(date)])
        }
    }

    /// Ended sittings that ended before `date`.
    public func sittings(endedBefore date: Date) async throws -> [String] {
        try await database.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM sittings WHERE status = 'ended' AND ended_at < ?", arguments: [ISO8601.format(date)])
        }
    }

    /// A sitting with its agenda, votes and final transcript, or nil if unknown.
    public func detail(sitting id: String) async throws -> SittingDetail? {
        try await database.read { db in
            guard let summary = try Row.fetchOne(db, sql: "SELECT * FROM sittings WHERE id = ?", arguments: [id]).flatMap(Self.summary) else {
                return nil
            }
            let agenda = try Row.fetchAll(db, sql: "SELECT * FROM agenda_items WHERE sitting = ? ORDER BY position", arguments: [id]).map { row in
                AgendaEntry(
                    id: row["item_id"], number: row["number"], title: row["title"], billId: row["bill_id"],
                    startedAt: (row["started_at"] as String?).flatMap(ISO8601.parse), offset: row["offset"]
                )
            }
            let votes = try Row.fetchAll(db, sql: "SELECT * FROM votes WHERE sitting = ? ORDER BY opened_at", arguments: [id]).map { row in
                VoteEntry(
                    id: row["vote_id"], itemId: row["item_id"], motion: row["motion"],
                    openedAt: ISO8601.parse(row["opened_at"]) ?? summary.startedAt, closedAt: (row["closed_at"] as String?).flatMap(ISO8601.parse),
                    result: row["result"], yes: row["yes"], no: row["no"], abstain: row["abstain"], notVoting: row["not_voting"],
                    records: (try? JSONDecoder().decode([MemberVote].self, from: Data((row["records"] as String).utf8))) ?? [],
                    offset: row["offset"]
                )
            }
            let lines = try Row.fetchAll(db, sql: "SELECT * FROM transcript_lines WHERE sitting = ? ORDER BY start_at, id", arguments: [id])
                .compactMap(Self.line)
            return SittingDetail(sitting: summary, agenda: agenda, votes: votes, transcript: lines)
        }
    }

    /// Transcript lines containing `query`, newest first. Works inside Thai words: three characters or more
    /// go through the trigram index, shorter queries through a scan.
    public func search(_ query: String, channel: String? = nil, limit: Int = 50) async throws -> [SearchHit] {
        let trigrams = query.unicodeScalars.count >= 3
        var sql = """
            SELECT l.*, s.channel AS channel, s.title AS title FROM transcript_lines l JOIN sittings s ON s.id = l.sitting
            """
        var arguments: StatementArguments
        if trigrams {
            sql += " WHERE l.id IN (SELECT rowid FROM transcript_search WHERE transcript_search MATCH ?)"
            arguments = ["\"" + query.replacingOccurrences(of: "\"", with: "\"\"") + "\""]
        } else {
            sql += " WHERE l.text LIKE ? ESCAPE '\\'"
            let escaped = query.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            arguments = ["%" + escaped + "%"]
        }
        if let channel { sql += " AND s.channel = ?"; arguments += [channel] }
        sql += " ORDER BY l.start_at DESC LIMIT ?"
        arguments += [limit]
        return try await database.read { [sql, arguments] db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap { row in
                guard let line = Self.line(row) else { return nil }
                return SearchHit(
                    sitting: row["sitting"], channel: row["channel"], title: row["title"], lineId: line.id, text: line.text,
                    speaker: line.speaker, lang: line.lang, at: line.start, offset: line.offset
                )
            }
        }
    }

    private static func summary(_ row: Row) -> SittingSummary? {
        guard let started = ISO8601.parse(row["started_at"]), let status = SittingSummary.Status(rawValue: row["status"]) else { return nil }
        return SittingSummary(
            id: row["id"], channel: row["channel"], title: row["title"], chamber: row["chamber"], number: row["number"],
            scheduledAt: (row["scheduled_at"] as String?).flatMap(ISO8601.parse), startedAt: started,
            endedAt: (row["ended_at"] as String?).flatMap(ISO8601.parse), status: status, duration: row["duration"],
            archivedAt: (row["archived_at"] as String?).flatMap(ISO8601.parse)
        )
    }

    private static func line(_ row: Row) -> TranscriptEntry? {
        guard let start = ISO8601.parse(row["start_at"]), let end = ISO8601.parse(row["end_at"]) else { return nil }
        return TranscriptEntry(
            id: row["line_id"], text: row["text"], speaker: row["speaker"], lang: row["lang"], start: start, end: end,
            final: row["final"], offset: row["offset"]
        )
    }
}
