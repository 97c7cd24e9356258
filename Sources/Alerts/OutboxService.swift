import Foundation
import Logging
import Relay
import ServiceLifecycle

/// Fills one alert outbox (webhooks, Web Push, LINE) from each channel's event log and runs its sender,
/// for the life of the server. The outbox stores each page of events with the new cursor in one
/// transaction (`enqueue`); an event it keeps refusing is set aside (`quarantine`).
public struct OutboxService: Service {
    /// How one outbox is fed and sent.
    public struct Outbox: Sendable {
        /// In log messages ("the push outbox") and in `senate_live_quarantined_events_total{store=…}`.
        let name: String
        let store: String
        let cursor: @Sendable (_ channel: String) async throws -> Int64
        /// Stores `events` (up to `through`) with the cursor; true when something was queued.
        let enqueue: @Sendable (_ events: [Event], _ channel: String, _ through: Int64) async throws -> Bool
        let quarantine: @Sendable (_ event: Event, _ channel: String, _ reason: String) async throws -> Void
        /// Wakes the sender for new work.
        let poke: @Sendable () -> Void
        /// The sender's loop, run beside the followers until they stop.
        let send: @Sendable () async -> Void
    }

    let channels: [String]
    let relay: Relay
    let outbox: Outbox
    let logger: Logger

    public init(channels: [String], relay: Relay, outbox: Outbox, logger: Logger) {
        self.channels = channels
        self.relay = relay
        self.outbox = outbox
        self.logger = logger
    }

    public func run() async throws {
        let outbox = outbox
        let followers = channels.map { channel in
            LogFollower(channel: channel, relay: relay, name: outbox.name, store: outbox.store, logger: logger) {
                try await outbox.cursor(channel)
            } consume: { events, last in
                if try await outbox.enqueue(events, channel, last) { outbox.poke() }
            } quarantine: { event, reason in
                try await outbox.quarantine(event, channel, reason)
            }
        }
        // A failed outbox update is retried every few seconds, not only at the next event.
        await LogFollower.followUntilShutdown(followers, retryEvery: .seconds(5)) { await outbox.send() }
    }
}

extension OutboxService.Outbox {
    /// Signed webhooks: each event to the endpoints whose filter matches.
    public static func webhooks(store: WebhookStore, sender: WebhookSender) -> Self {
        Self(name: "the webhook outbox", store: "webhook_outbox") { try await store.cursor(channel: $0) } enqueue: { events, channel, last in
            try await store.enqueue(events, channel: channel, through: last) > 0
        } quarantine: { event, channel, reason in
            try await store.quarantine(channel: channel, seq: event.seq, type: event.type.rawValue, reason: reason)
        } poke: { sender.poke() } send: { await sender.run() }
    }

    /// Web Push: alerts to the subscriptions that follow an event. Titles come from the channel's agenda
    /// as it stands: an item's title rarely changes while its alert is on its way, and the follower may be
    /// catching up on events long past.
    public static func push(store: PushStore, sender: PushSender, relay: Relay, ttl: Double) -> Self {
        Self(name: "the push outbox", store: "push_outbox") { try await store.cursor(channel: $0) } enqueue: { events, channel, last in
            let state = try await relay.head(channel: channel).state
            return try await store.enqueue(events, channel: channel, through: last, state: state, ttl: ttl) > 0
        } quarantine: { event, channel, reason in
            try await store.quarantine(channel: channel, seq: event.seq, type: event.type.rawValue, reason: reason)
        } poke: { sender.poke() } send: { await sender.run() }
    }

    /// LINE: alerts to the Official Account's users who follow an event.
    public static func line(store: LineStore, sender: LineSender, relay: Relay, settings: LineSettings) -> Self {
        let (publicURL, maxAge) = (settings.publicURL, settings.retryFor)
        return Self(name: "the LINE outbox", store: "line_outbox") { try await store.cursor(channel: $0) } enqueue: { events, channel, last in
            let state = try await relay.head(channel: channel).state
            return try await store.enqueue(events, channel: channel, through: last, state: state, publicURL: publicURL, maxAge: maxAge) > 0
        } quarantine: { event, channel, reason in
            try await store.quarantine(channel: channel, seq: event.seq, type: event.type.rawValue, reason: reason)
        } poke: { sender.poke() } send: { await sender.run() }
    }
}
