import Alerts
import Foundation
import Hummingbird
import NIOCore
import Relay

/// `POST/GET /api/v1/webhooks`, `GET/DELETE /api/v1/webhooks/{id}`, `POST /api/v1/webhooks/{id}/enable`,
/// `GET /api/v1/webhooks/{id}/deliveries`. Operators manage the endpoints of their channels; admins all.
struct WebhookRoutes: Sendable {
    let store: WebhookStore
    let sender: WebhookSender
    let channels: Set<String>
    let settings: ServerConfiguration.WebhookSettings

    struct Registration: Decodable {
        struct FilterBody: Decodable {
            var channels: [String]?
            var types: [String]?
            var billIds: [String]?
            var itemIds: [String]?
            var tags: [String]?
            var keywords: [String]?
        }

        var url: String
        var secret: String
        var filter: FilterBody?
    }

    func register(on router: Router<AppContext>) {
        router.post("/api/v1/webhooks") { request, context in
            let principal = try manager(context)
            let body = try await request.boundedBody(upTo: 64 * 1024)
            let registration: Registration
            do { registration = try JSONDecoder().decode(Registration.self, from: Data(body.readableBytesView)) } catch {
                throw APIError(.badRequest, code: "invalid_json", message: #"the body must be {"url", "secret", "filter"?: {channels, types, billIds, itemIds, tags, keywords}}"#)
            }
            let webhook = try await validate(registration, principal: principal)
            try await store.create(webhook, secret: registration.secret)
            return try jsonResponse(webhook, status: .created)
        }
        router.get("/api/v1/webhooks") { _, context in
            let principal = try manager(context)
            let visible = try await store.webhooks().filter { may(principal, manage: $0) }
            return try jsonResponse(["webhooks": visible])
        }
        router.get("/api/v1/webhooks/:id") { request, context in
            try jsonResponse(try await owned(context))
        }
        router.delete("/api/v1/webhooks/:id") { request, context in
            let webhook = try await owned(context)
            try await store.delete(id: webhook.id)
            return Response(status: .noContent)
        }
        router.post("/api/v1/webhooks/:id/enable") { request, context in
            let webhook = try await owned(context)
            try await store.enable(id: webhook.id)
            sender.poke()
            return try jsonResponse(try await store.webhook(id: webhook.id))
        }
        router.get("/api/v1/webhooks/:id/deliveries") { request, context in
            let webhook = try await owned(context)
            let limit = try request.limit(default: 50, maximum: 500)
            return try jsonResponse(["deliveries": try await store.deliveries(webhookId: webhook.id, limit: limit)])
        }
    }

    private func manager(_ context: AppContext) throws -> Principal {
        let principal = try context.requirePrincipal()
        guard principal.role == .operator || principal.role == .admin else {
            throw APIError(.forbidden, code: "forbidden", message: "webhooks need an operator or admin token")
        }
        return principal
    }

    private func owned(_ context: AppContext) async throws -> Webhook {
        let principal = try manager(context)
        let id = context.parameters.get("id") ?? ""
        guard let webhook = try await store.webhook(id: id), may(principal, manage: webhook) else {
            throw APIError.notFound("no webhook \(id)")
        }
        return webhook
    }

    /// Admins manage every webhook; an operator those whose channels its token covers (all of them).
    private func may(_ principal: Principal, manage webhook: Webhook) -> Bool {
        if principal.role == .admin || principal.channels.contains("*") { return true }
        return !webhook.filter.channels.isEmpty && webhook.filter.channels.allSatisfy(principal.channels.contains)
    }

    /// Checks a registration: an http(s) URL to an allowed host that resolves to addresses the policy
    /// allows, a secret of 16+ bytes, channels the token may use (an operator's own channels when none are
    /// named), known event types.
    func validate(_ registration: Registration, principal: Principal) async throws -> Webhook {
        let url: OutboundURL
        do {
            url = try settings.policy.validate(registration.url)
            _ = try await settings.policy.resolve(url)
        } catch let refusal as OutboundRefusal {
            throw APIError(refusal, field: "url")
        }
        guard registration.secret.utf8.count >= 16, registration.secret.utf8.count <= 256 else {
            throw APIError(.badRequest, code: "invalid_secret", message: "secret must be 16–256 bytes", field: "secret")
        }
        let filter = registration.filter
        var wanted = filter?.channels ?? []
        if let unknown = wanted.first(where: { !channels.contains($0) }) {
            throw APIError(.unprocessableContent, code: "unknown_channel", message: "no channel \(unknown)", field: "filter.channels")
        }
        if principal.role == .operator && !principal.channels.contains("*") {
            if wanted.isEmpty { wanted = principal.channels.filter(channels.contains) }
            // Never "every channel" by accident: a token none of whose channels exists gets nothing.
            guard !wanted.isEmpty else {
                throw APIError(.forbidden, code: "forbidden", message: "this token's channels are not served here", field: "filter.channels")
            }
            if let foreign = wanted.first(where: { !principal.channels.contains($0) }) {
                throw APIError(.forbidden, code: "forbidden", message: "this token may not follow \(foreign)", field: "filter.channels")
            }
        }
        let keywords = (filter?.keywords ?? []).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        if let bad = keywords.first(where: { $0.count < Keyword.minLength || $0.count > Keyword.maxLength }) {
            throw APIError(.badRequest, code: "invalid_value", message: "a keyword is \(Keyword.minLength)–\(Keyword.maxLength) characters, not '\(bad.prefix(80))'", field: "filter.keywords")
        }
        guard keywords.count <= 50 else {
            throw APIError(.unprocessableContent, code: "too_many_keywords", message: "a webhook follows at most 50 keywords", field: "filter.keywords")
        }
        let types = filter?.types ?? []
        if let unknown = types.first(where: { EventType(rawValue: $0) == nil }) {
            throw APIError(.badRequest, code: "invalid_value", message: "unknown event type \(unknown)", field: "filter.types")
        }
        return Webhook(
            id: UUID().uuidString.lowercased(), url: url.text,
            filter: .init(channels: wanted, types: types, follow: FollowFilter(billIds: filter?.billIds ?? [], itemIds: filter?.itemIds ?? [], tags: filter?.tags ?? [], keywords: keywords)),
            owner: principal.subject, createdAt: Date()
        )
    }
}
