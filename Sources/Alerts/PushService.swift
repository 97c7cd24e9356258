import Foundation
import Logging
import Relay
import ServiceLifecycle

/// Fills the push outbox from each channel's event log and runs the sender, for the life of the server.
public struct PushService: Service {
    let channels: [String]
    let relay: Relay
    let store: PushStore
    let sender: PushSender
    let settings: PushSettings
    let logger: Logger

    public init(channels: [String], relay: Relay, store: PushStore, sender: PushSender, settings: PushSettings, logger: Logger) {
        self.channels = channels
        self.relay = relay
        self.store = store
        self.sender = sender
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        let (relay, store, ttl) = (relay, store, settings.ttl)
        let followers = channels.map { channel in
            LogFollower(channel: channel, relay: relay, name: "the push outbox", store: "push_outbox", logger: logger) {
                try await store.cursor(channel: channel)
            } consume: { [sender] events, last in
                // Titles come from the channel's agenda as it stands: an item's title rarely changes while
                // its alert is on its way, and the follower may be catching up on events long past.
                let state = try await relay.head(channel: channel).state
                if try await store.enqueue(events, channel: channel, through: last, state: state, ttl: ttl) > 0 { sender.poke() }
            } quarantine: { event, reason in
                try await store.quarantine(channel: channel, seq: event.seq, type: event.type.rawValue, reason: reason)
            }
        }
        await LogFollower.followUntilShutdown(followers, retryEvery: .seconds(5)) { [sender] in await sender.run() }
    }
}
