import Alerts
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /api/v1/line/webhook`: LINE's webhook, signed with the channel secret (`X-Line-Signature`). A
/// body whose signature does not verify is refused with 401 and changes nothing; a signed one is applied
/// (follows, unfollows, what users asked for) and answered 200, as LINE expects.
struct LineRoutes: Sendable {
    let store: LineStore
    let settings: LineSettings

    /// LINE is not configured: the webhook answers 404 `line_disabled` (JSON, as every API error).
    static func registerDisabled(on router: Router<AppContext>) {
        router.post("/api/v1/line/webhook") { _, _ -> Response in
            throw APIError(.notFound, code: "line_disabled", message: "LINE is not configured on this server (alerts.line.channelAccessToken)")
        }
    }

    func register(on router: Router<AppContext>) {
        router.post("/api/v1/line/webhook") { request, _ in
            let body = try await request.boundedBody(upTo: 256 * 1024)
            let bytes = Data(body.readableBytesView)
            guard LineWebhook.verify(body: bytes, signature: request.headers[HTTPField.Name("X-Line-Signature")!], secret: settings.channelSecret) else {
                throw APIError(.unauthorized, code: "invalid_signature", message: "X-Line-Signature does not verify with the channel secret")
            }
            let commands: [LineWebhook.Command]
            do { commands = try LineWebhook.commands(in: bytes) } catch {
                throw APIError(.badRequest, code: "invalid_json", message: #"the body must be LINE's {"destination", "events": [...]}"#)
            }
            try await store.apply(commands, maxFollows: settings.maxFollows)
            return try jsonResponse([String: String]())
        }
    }
}
