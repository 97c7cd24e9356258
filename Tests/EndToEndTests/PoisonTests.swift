import Foundation
import Testing

extension EndToEnd {
    /// Nothing acknowledged that cannot be read back, and one unreadable row stalls nobody
    /// (`Scripts/poison_check.py`, with the webhook receiver and the archive API as the followers' outputs).
    @Suite("Dates and unreadable events")
    struct Poison {
        @Test("dates outside 1900–2200 are refused with 422 and the field; dates at the edges read back exactly")
        func dates() throws {
            let server = try ServerProcess(environment: RelayEndToEnd.environment())
            defer { server.stop() }
            try Hardening.run("poison_check.py", "dates", server, [try RelayEndToEnd.token()])
        }

        @Test("rows written behind the server's back that do not read are quarantined; history, replays, archive and webhooks go on after them")
        func corruptedRows() async throws {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("senate-live-poison-\(UUID().uuidString)")
            let receiver = try WebhookEndToEnd.Receiver(log: folder.appendingPathComponent("receiver.log"))
            defer { receiver.stop() }
            let environment = WebhookEndToEnd.environment(["SENATE_LIVE_ARCHIVE_END_WAIT": "0"])
            var server = try ServerProcess(environment: environment, dataDirectory: folder)
            let token = try RelayEndToEnd.token()
            _ = try await WebhookEndToEnd.register(server, token: token, port: receiver.port, filter: ["channels": ["senate"]])
            let started = try await WebhookEndToEnd.request(server, "POST", "/api/v1/channels/senate/events", token: token, body: [
                "type": "sitting.started", "data": ["title": "การประชุมวุฒิสภา", "chamber": "senate", "number": 7, "scheduledAt": "2026-11-23T02:30:00Z"],
            ])
            try #require(started.status == 201, "\(started.text)")
            try await WebhookEndToEnd.wait("the first delivery") { receiver.delivered.count == 1 }
            server.stop()

            let database = folder.appendingPathComponent("relay.sqlite").path
            let corrupted = try Tool.run("python3", [Hardening.scripts.appendingPathComponent("poison_check.py").path, "corrupt", database])
            try #require(corrupted.succeeded, "\(corrupted.stderr)")
            let head = try #require((try JSONSerialization.jsonObject(with: Data(corrupted.stdout.utf8)) as? [String: Any])?["head"] as? Int)

            server = try ServerProcess(environment: environment, dataDirectory: folder)
            defer { server.stop() }
            try Hardening.run("poison_check.py", "after", server, [token, "\(head)"])
            let ended = try await WebhookEndToEnd.request(server, "POST", "/api/v1/channels/senate/events", token: token, body: ["type": "sitting.ended", "data": [:]])
            try #require(ended.status == 201, "\(ended.text)")

            // The followers went past the two rows: the webhook outbox (3 notices and the end, after the start)
            // and the archive catalog (the sitting ended).
            try await WebhookEndToEnd.wait("deliveries after the poison") { receiver.delivered.count == 5 }
            try await WebhookEndToEnd.wait("the archive catalog after the poison") {
                try await HTTP.get(server.baseURL + "/api/v1/sittings").text.contains(#""status":"ended""#)
            }
            let metrics = try await HTTP.get(server.baseURL + "/metrics").text
            #expect(metrics.contains(#"senate_live_quarantined_events_total{store="event_log"} 2"#), "\(metrics.split(separator: "\n").filter { $0.contains("quarantined") })")
            #expect(server.log.contains("quarantined an event"))
        }
    }
}
