import Alerts
import Foundation
import Hummingbird
import NIOCore
import Relay

/// `GET /api/v1/push/key`, `POST /api/v1/push/subscriptions`, `DELETE /api/v1/push/subscriptions`. No
/// login: the subscription's endpoint (a capability URL the browser's push service made) is the identity.
/// Calls are limited per client address and per endpoint; a subscription is checked (https endpoint to a
/// host the policy allows, a P-256 key on the curve, a 16-byte auth secret, bounded follows) before
/// anything is stored.
struct PushRoutes: Sendable {
    let store: PushStore
    let publicKey: String
    let channels: Set<String>
    let settings: PushSettings
    let perAddress: CallRateLimiter
    let perEndpoint: CallRateLimiter
    /// Addresses (proxies) not limited per address: they call for many people.
    let exempt: Set<String>

    struct Registration: Decodable {
        struct Follow: Decodable {
            var channels: [String]?
            var billIds: [String]?
            var itemIds: [String]?
            var tags: [String]?
            var keywords: [String]?
        }

        var subscription: PushSubscription
        var follow: Follow
        var lang: String?
    }

    struct Removal: Decodable {
        var endpoint: String
    }

    struct Stored: Encodable {
        var id: String
        var follow: PushFollow
    }

    init(store: PushStore, publicKey: String, channels: Set<String>, settings: PushSettings, exempt: [String]) {
        self.store = store
        self.publicKey = publicKey
        self.channels = channels
        self.settings = settings
        perAddress = CallRateLimiter(perMinute: settings.callsPerMinute)
        perEndpoint = CallRateLimiter(perMinute: settings.changesPerEndpointPerMinute)
        self.exempt = Set(exempt.map(ConnectionLimiter.key))
    }

    func register(on router: Router<AppContext>) {
        router.get("/api/v1/push/key") { _, _ in
            var response = try jsonResponse(["publicKey": publicKey])
            response.headers[.cacheControl] = "public, max-age=300"
            return response
        }
        router.post("/api/v1/push/subscriptions") { request, context in
            try limitAddress(context)
            let registration: Registration = try await decode(request, as: Registration.self, shape: #"{"subscription": {"endpoint", "keys": {"p256dh", "auth"}}, "follow": {channels?, billIds?, itemIds?, tags?, keywords?}, "lang"?}"#)
            let follow = try validate(registration.follow)
            try await check(registration.subscription)
            try limitEndpoint(registration.subscription.endpoint)
            let lang = registration.lang.flatMap { PushNotification.languages.contains($0) ? $0 : nil } ?? "th"
            let stored = try await store.subscribe(registration.subscription, follow: follow, lang: lang)
            return try jsonResponse(Stored(id: "\(stored.id)", follow: follow), status: stored.created ? .created : .ok)
        }
        router.delete("/api/v1/push/subscriptions") { request, context in
            try limitAddress(context)
            let removal = try await decode(request, as: Removal.self, shape: #"{"endpoint"}"#)
            try limitEndpoint(removal.endpoint)
            guard try await store.unsubscribe(endpoint: removal.endpoint) else { throw APIError.notFound("no subscription with that endpoint") }
            return Response(status: .noContent)
        }
    }

    /// `alerts.push.enabled: false`: the routes answer 503 `push_disabled`, so a page can say so.
    static func registerDisabled(on router: Router<AppContext>) {
        let off = APIError(.serviceUnavailable, code: "push_disabled", message: "Web Push alerts are turned off on this server (alerts.push.enabled)")
        router.get("/api/v1/push/key") { _, _ -> Response in throw off }
        router.post("/api/v1/push/subscriptions") { _, _ -> Response in throw off }
        router.delete("/api/v1/push/subscriptions") { _, _ -> Response in throw off }
    }

    private func decode<T: Decodable>(_ request: Request, as type: T.Type, shape: String) async throws -> T {
        let body = try await request.boundedBody(upTo: 16 * 1024)
        do { return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView)) } catch {
            throw APIError(.badRequest, code: "invalid_json", message: "the body must be \(shape)")
        }
    }

    private func limitAddress(_ context: AppContext) throws {
        let key = context.channel.remoteAddress.flatMap(\.ipAddress).map(ConnectionLimiter.key) ?? "unknown"
        guard !exempt.contains(key) else { return }
        if let wait = perAddress.allow(key) { throw Self.tooMany("more than \(settings.callsPerMinute) push calls a minute from this address", wait) }
    }

    private func limitEndpoint(_ endpoint: String) throws {
        if let wait = perEndpoint.allow(endpoint) {
            throw Self.tooMany("more than \(settings.changesPerEndpointPerMinute) changes a minute to this subscription", wait)
        }
    }

    private static func tooMany(_ message: String, _ wait: Int) -> APIError {
        var error = APIError(.tooManyRequests, code: "rate_limited", message: message)
        error.headers[.retryAfter] = "\(wait)"
        return error
    }

    /// The endpoint's form, its keys, and where it leads (`alerts.push.allowHosts` / `allowPrivate`).
    private func check(_ subscription: PushSubscription) async throws {
        let recipient: PushRecipient
        do { recipient = try subscription.recipient(allowHTTP: settings.allowPrivate) } catch let error as PushError {
            throw APIError(.badRequest, code: error.code.rawValue, message: error.message,
                           field: error.code == .invalidEndpoint ? "subscription.endpoint" : "subscription.keys")
        }
        let host = (recipient.endpoint.host ?? "").lowercased()
        guard settings.allows(host: host) else {
            throw APIError(.unprocessableContent, code: "host_not_allowed", message: "\(host) is not in alerts.push.allowHosts", field: "subscription.endpoint")
        }
        do {
            _ = try await settings.policy.resolve(host: host, port: recipient.endpoint.port ?? (recipient.endpoint.scheme == "http" ? 80 : 443),
                                                  settings: "alerts.push.allowHosts or alerts.push.allowPrivate")
        } catch let refusal as OutboundRefusal {
            throw APIError(refusal, field: "subscription.endpoint")
        }
    }

    /// Known channels, bounded lists of short names, 2–64 character keywords.
    private func validate(_ body: Registration.Follow) throws -> PushFollow {
        func names(_ list: [String]?, _ field: String) throws -> [String] {
            let values = Array(Set((list ?? []).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })).sorted()
            if let bad = values.first(where: { $0.isEmpty || $0.utf8.count > 128 }) {
                throw APIError(.badRequest, code: "invalid_value", message: "'\(bad.prefix(40))' is not a name of 1–128 bytes", field: "follow.\(field)")
            }
            return values
        }
        let keywords = Array(Set((body.keywords ?? []).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })).sorted()
        if let bad = keywords.first(where: { $0.count < Keyword.minLength || $0.count > Keyword.maxLength }) {
            throw APIError(.badRequest, code: "invalid_value",
                           message: "a keyword is \(Keyword.minLength)–\(Keyword.maxLength) characters, not '\(bad.prefix(40))'", field: "follow.keywords")
        }
        let follow = PushFollow(
            channels: try names(body.channels, "channels"), billIds: try names(body.billIds, "billIds"), itemIds: try names(body.itemIds, "itemIds"),
            tags: try names(body.tags, "tags"), keywords: keywords
        )
        if let unknown = follow.channels.first(where: { !channels.contains($0) }) {
            throw APIError(.unprocessableContent, code: "unknown_channel", message: "no channel \(unknown)", field: "follow.channels")
        }
        guard follow.keywords.count <= settings.maxKeywords else {
            throw APIError(.unprocessableContent, code: "too_many_keywords", message: "a subscription follows at most \(settings.maxKeywords) keywords", field: "follow.keywords")
        }
        guard follow.billIds.count + follow.itemIds.count + follow.tags.count <= settings.maxFollows else {
            throw APIError(.unprocessableContent, code: "too_many_follows", message: "a subscription follows at most \(settings.maxFollows) bills, items and tags", field: "follow")
        }
        guard !follow.isEmpty else {
            throw APIError(.badRequest, code: "missing_field", message: "follow needs billIds, itemIds, tags or keywords (DELETE to stop alerts)", field: "follow")
        }
        return follow
    }
}
