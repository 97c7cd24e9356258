import Foundation
import Logging
import Relay
import ServiceLifecycle

/// Fills the LINE outbox from each channel's event log and runs the sender, for the life of the server.
public struct LineService: Service {
    let channels: [String]
    let relay: Relay
    let store: LineStore
    let sender: LineSender
    let settings: LineSettings
    let logger: Logger

    public init(channels: [String], relay: Relay, store: LineStore, sender: LineSender, settings: LineSettings, logger: Logger) {
        self.channels = channels
        self.relay = relay
        self.store = store
        self.sender = sender
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        let (relay, store, publicURL, maxAge) = (relay, store, settings.publicURL, settings.retryFor)
        let followers = channels.map { channel in
            LogFollower(channel: channel, relay: relay, name: "the LINE outbox", store: "line_outbox", logger: logger) {
                try await store.cursor(channel: channel)
            } consume: { [sender] events, last in
                let state = try await relay.head(channel: channel).state
                if try await store.enqueue(events, channel: channel, through: last, state: state, publicURL: publicURL, maxAge: maxAge) > 0 { sender.poke() }
            } quarantine: { event, reason in
                try await store.quarantine(channel: channel, seq: event.seq, type: event.type.rawValue, reason: reason)
            }
        }
        await LogFollower.followUntilShutdown(followers, retryEvery: .seconds(5)) { [sender] in await sender.run() }
    }
}
