import Foundation
import Relay
import WallClock

/// What a followed event says on a phone: a short notification in the follower's language (title: the
/// bill or item; body: "taken up now", the vote's result, or the line that was said), which opens the
/// sitting at that moment. Encoded as the JSON the service worker (`/sw.js`) shows.
public struct PushNotification: Codable, Sendable, Equatable {
    public var title: String
    public var body: String
    /// Opens the viewer at the event's moment (`/watch/{channel}?at=…`), relative to the server's origin.
    public var url: String
    /// One notification per event on the device: a later one with the same tag replaces it.
    public var tag: String
    public var lang: String
    public var channel: String
    public var seq: Int64
    public var type: String

    /// The languages a subscription may ask for; anything else reads as Thai.
    public static let languages = ["th", "en"]
    /// Longest body, in characters: notifications show two or three lines, and the payload must stay far
    /// inside one push record (`WebPushEncryption.maxPayload`).
    static let maxBody = 240
    static let maxTitle = 120

    /// The notification for `event` in `lang`, with item titles and the vote's motion from `state`; nil for
    /// events nobody is alerted to (only an item taken up, a vote's result and a final transcript line are).
    public init?(event: Event, state: ChannelState, lang: String) {
        let english = lang == "en"
        func itemTitle() -> String? {
            guard let id = event.subject?.itemIds.first, let item = state.agenda.first(where: { $0.id == id }) else { return nil }
            return item.number.isEmpty ? item.title : "\(item.number). \(item.title)"
        }
        var at = event.at
        switch event.payload {
        case .agendaItem(let taken):
            title = itemTitle() ?? taken.itemId
            body = english ? "Taken up now" : "เริ่มพิจารณาแล้วขณะนี้"
        case .voteClosed(let vote):
            let motion = state.lastVote.flatMap { $0.voteId == vote.voteId ? $0.motion : nil }
            title = itemTitle() ?? motion ?? (english ? "Vote" : "การลงมติ")
            let result: String
            switch vote.result {
            case .passed: result = english ? "Vote passed" : "มติเห็นชอบ"
            case .rejected: result = english ? "Vote rejected" : "มติไม่เห็นชอบ"
            case .tied: result = english ? "Vote tied" : "คะแนนเสมอ"
            }
            body = "\(result) \(vote.count.yes)–\(vote.count.no)"
            if vote.count.abstain > 0 { body += english ? ", \(vote.count.abstain) abstaining" : " งดออกเสียง \(vote.count.abstain)" }
        case .transcriptLine(let line) where line.final:
            title = line.speaker ?? (english ? "Said in the chamber" : "ถ้อยคำในที่ประชุม")
            body = line.text.count > Self.maxBody ? String(line.text.prefix(Self.maxBody - 1)) + "…" : line.text
            at = line.start
        default:
            return nil
        }
        if title.count > Self.maxTitle { title = String(title.prefix(Self.maxTitle - 1)) + "…" }
        url = "/watch/\(event.channel)?at=\(ISO8601.format(at))"
        tag = "\(event.channel)-\(event.seq)"
        self.lang = english ? "en" : "th"
        channel = event.channel
        seq = event.seq
        type = event.type.rawValue
    }

    /// RFC 8030 §5.3: an item taken up or a result wakes the phone now; a line said may wait for it.
    public var urgency: String { type == EventType.transcriptLine.rawValue ? "normal" : "high" }

    /// One notification per event, and per transcript line however often it is corrected.
    static func dedupeKey(for event: Event) -> String {
        if case .transcriptLine(let line) = event.payload { return "line:\(line.lineId)" }
        return "seq:\(event.seq)"
    }
}
