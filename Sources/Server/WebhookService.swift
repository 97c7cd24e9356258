import Alerts
import Foundation
import Logging
import Relay
import ServiceLifecycle

/// Fills the webhook outbox from each channel's event log and runs the sender, for the life of the server.
struct WebhookService: Service {
    let channels: [String]
    let relay: Relay
    let store: WebhookStore
    let sender: WebhookSender
    let logger: Logger

    func run() async throws {
        var feeds: [(LogFollower, Task<Void, Never>)] = []
        for channel in channels {
            let follower = LogFollower(channel: channel, relay: relay, name: "the webhook outbox", store: "webhook_outbox", logger: logger) {
                try await store.cursor(channel: channel)
            } consume: { [sender] events, last in
                if try await store.enqueue(events, channel: channel, through: last) > 0 { sender.poke() }
            } quarantine: { event, reason in
                try await store.quarantine(channel: channel, seq: event.seq, type: event.type.rawValue, reason: reason)
            }
            feeds.append((follower, follower.start()))
        }
        let sending = Task { await sender.run() }
        let followers = feeds.map(\.0)
        let retry = Task {
            // A failed outbox update is retried every few seconds, not only at the next event.
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(5))
                for follower in followers { follower.poke() }
            }
        }
        try? await gracefulShutdown()
        retry.cancel()
        sending.cancel()
        for (follower, task) in feeds { await follower.finish(task) }
        await sending.value
    }
}
