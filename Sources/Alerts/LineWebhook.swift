import Crypto
import Foundation

/// What LINE's webhook (`POST /api/v1/line/webhook`) asks of the server: its signature checked, then
/// each event read as a change to who follows what. A user links by following the account and sending a
/// bill id or a keyword; "-word" stops that one, "stop" (or "หยุด") everything.
public enum LineWebhook {
    /// One change from a webhook event.
    public enum Command: Sendable, Equatable {
        /// The user followed the account (or unblocked it).
        case joined(user: String)
        /// The user blocked the account: forget them.
        case left(user: String)
        case follow(user: String, text: String)
        case unfollow(user: String, text: String)
        case stopAll(user: String)
    }

    /// Whether `signature` (the `X-Line-Signature` header) is base64 HMAC-SHA256 of `body` under `secret`,
    /// compared in constant time.
    public static func verify(body: some DataProtocol, signature: String?, secret: String) -> Bool {
        guard !secret.isEmpty, let signature, let given = Data(base64Encoded: signature) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Data(body), using: SymmetricKey(data: Data(secret.utf8)))
    }

    struct Body: Decodable {
        struct Event: Decodable {
            struct Source: Decodable {
                var type: String?
                var userId: String?
            }
            struct Message: Decodable {
                var type: String
                var text: String?
            }

            var type: String
            var source: Source?
            var message: Message?
        }

        var events: [Event]
    }

    /// The commands in a webhook body; events from groups and rooms, or of other kinds, are left out. Throws when the body is not LINE's JSON.
    public static func commands(in body: Data) throws -> [Command] {
        try JSONDecoder().decode(Body.self, from: body).events.compactMap { event -> Command? in
            // Only one-to-one chats: a group's or room's messages carry their sender's id too, but are not
            // addressed to the account.
            guard event.source?.type == "user", let user = event.source?.userId, !user.isEmpty else { return nil }
            switch event.type {
            case "follow": return .joined(user: user)
            case "unfollow": return .left(user: user)
            case "message":
                guard event.message?.type == "text", let text = event.message?.text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
                if ["stop", "หยุด", "เลิกติดตาม"].contains(text.lowercased()) { return .stopAll(user: user) }
                if text.hasPrefix("-") {
                    let word = text.dropFirst().trimmingCharacters(in: .whitespaces)
                    return word.isEmpty ? nil : .unfollow(user: user, text: word)
                }
                return .follow(user: user, text: text)
            default: return nil
            }
        }
    }
}
