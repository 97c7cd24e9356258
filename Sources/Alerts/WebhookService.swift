import Foundation
import Logging
import Relay
import ServiceLifecycle

/// Fills the webhook outbox from each channel's event log and runs the sender, for the life of the server.
public struct WebhookService: Service {
    let channels: [String]
    let relay: Relay
    let store: WebhookStore
    let sender: WebhookSender
    let logger: Logger

    public init(channels: [String], relay: Relay, store: WebhookStore, sender: WebhookSender, logger: Logger) {
        self.channels = channels
        self.relay = relay
        self.store = store
        self.sender = sender
        self.logger = logger
    }

    public func run() async throws {
        let followers = channels.map { channel in
            LogFollower(channel: channel, relay: relay, name: "the webhook outbox", store: "webhook_outbox", logger: logger) {
                try await store.cursor(channel: channel)
            } consume: { [sender] events, last in
                if try await store.enqueue(events, channel: channel, through: last) > 0 { sender.poke() }
            } quarantine: { event, reason in
                try await store.quarantine(channel: channel, seq: event.seq, type: event.type.rawValue, reason: reason)
            }
        }
        // A failed outbox update is retried every few seconds, not only at the next event.
        await LogFollower.followUntilShutdown(followers, retryEvery: .seconds(5)) { [sender] in await sender.run() }
    }
}
