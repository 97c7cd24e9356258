import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

extension EndToEnd {
    @Suite("Webhooks")
    struct WebhookEndToEnd {
        static let secret = "receiver-shared-secret-1234"
        static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/webhook_receiver.py")

        /// The Python receiver on 127.0.0.1; `port` 0 picks one.
        final class Receiver: @unchecked Sendable {
            let process: Process
            let port: Int
            let log: URL

            init(port: Int = 0, log: URL, flags: [String] = []) throws {
                self.log = log
                process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["python3", "-u", WebhookEndToEnd.script.path, "\(port)", log.path, WebhookEndToEnd.secret] + flags
                let pipe = Pipe()
                process.standardOutput = pipe
                try process.run()
                let line = String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self)
                guard let chosen = Int(line.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") else {
                    throw FixtureError(message: "receiver did not start: \(line)")
                }
                self.port = chosen
            }

            /// Every request received so far.
            var requests: [[String: Any]] {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            }

            var delivered: [[String: Any]] { requests.filter { $0["status"] as? Int == 200 } }

            /// SIGKILL: the test process's blocked signals are inherited, so a SIGTERM might never arrive.
            func stop() {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
            }

            deinit { stop() }
        }

        static func environment(_ extra: [String: String] = [:]) -> [String: String] {
            EndToEnd.RelayEndToEnd.environment([
                "SENATE_LIVE_WEBHOOK_RETRY_BASE": "0.2", "SENATE_LIVE_WEBHOOK_RETRY_CAP": "1", "SENATE_LIVE_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
            ].merging(extra) { _, new in new })
        }

        static func request(_ server: ServerProcess, _ method: String, _ path: String, token: String?, body: Any? = nil) async throws -> HTTP.Reply {
            try await HTTP.send(
                method, server.baseURL + path, body: try body.map { try JSONSerialization.data(withJSONObject: $0) }, headers: HTTP.bearer(token)
            )
        }

        static func register(_ server: ServerProcess, token: String, port: Int, filter: [String: Any]) async throws -> String {
            let reply = try await request(server, "POST", "/api/v1/webhooks", token: token, body: ["url": "http://127.0.0.1:\(port)/hook", "secret": secret, "filter": filter])
            try #require(reply.status == 201, "\(reply.text)")
            return try #require((try JSONSerialization.jsonObject(with: reply.body) as? [String: Any])?["id"] as? String)
        }

        static func wait(_ what: String, timeout: Double = 20, _ condition: () async throws -> Bool) async throws {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if try await condition() { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw FixtureError(message: "timed out: \(what)")
        }

        @Test("signed deliveries of one bill's events; a receiver failing twice gets each event on the third try; bad registrations refused")
        func billDeliveriesWithRetries() async throws {
            let server = try ServerProcess(environment: Self.environment())
            defer { server.stop() }
            let receiver = try Receiver(log: server.dataDirectory.appendingPathComponent("received.jsonl"), flags: ["--fail-each", "2"])
            defer { receiver.stop() }
            let token = try EndToEnd.RelayEndToEnd.token()

            for (body, status, token) in [
                (["url": "ftp://127.0.0.1/x", "secret": Self.secret], 400, Optional(token)),
                (["url": "http://example.org/hook", "secret": Self.secret], 422, token),
                (["url": "http://127.0.0.1:\(receiver.port)/hook", "secret": "short"], 400, token),
                (["url": "http://127.0.0.1:\(receiver.port)/hook", "secret": Self.secret, "filter": ["channels": ["parliament"]]], 403, token),
                (["url": "http://127.0.0.1:\(receiver.port)/hook", "secret": Self.secret], 401, nil),
                (["url": "http://127.0.0.1:\(receiver.port)/hook", "secret": Self.secret], 403, try EndToEnd.RelayEndToEnd.token(role: "viewer")),
            ] as [([String: Any], Int, String?)] {
                let reply = try await Self.request(server, "POST", "/api/v1/webhooks", token: token, body: body)
                #expect(reply.status == status, "\(body): \(reply.text)")
            }
            let id = try await Self.register(server, token: token, port: receiver.port, filter: ["billIds": ["b-1"]])
            let listed = try await Self.request(server, "GET", "/api/v1/webhooks", token: token)
            #expect(listed.text.contains(id) && !listed.text.contains(Self.secret), "the secret is never shown")

            let stored = try await EndToEnd.RelayEndToEnd.post(server, token: token, body: [
                ["type": "sitting.started", "data": ["title": "t", "chamber": "senate", "number": 1, "scheduledAt": "2026-11-23T02:00:00Z"]],
                ["type": "agenda.set", "data": ["items": [["id": "i1", "number": "1", "title": "ร่าง ก", "billId": "b-1", "tags": ["budget"]], ["id": "i2", "number": "2", "title": "ร่าง ข", "billId": "b-2"]]]],
                ["type": "agenda.item", "data": ["itemId": "i2"]],
                ["type": "vote.opened", "data": ["voteId": "v2", "itemId": "i2", "motion": "ข"]],
                ["type": "vote.closed", "data": ["voteId": "v2", "result": "rejected", "yes": 0, "no": 1, "abstain": 0, "notVoting": 0, "records": []]],
                ["type": "agenda.item", "data": ["itemId": "i1"]],
                ["type": "vote.opened", "data": ["voteId": "v1", "itemId": "i1", "motion": "ก"]],
                ["type": "vote.closed", "data": ["voteId": "v1", "result": "passed", "yes": 1, "no": 0, "abstain": 0, "notVoting": 0, "records": [["name": "ก", "vote": "yes"]]]],
                ["type": "notice", "data": ["text": "ไม่เกี่ยวกับร่างใด"]],
            ])
            let wanted = Set(stored.filter { event in
                let data = event["data"] as? [String: Any]
                return event["type"] as? String == "agenda.set" || data?["itemId"] as? String == "i1" || data?["voteId"] as? String == "v1"
            }.compactMap { $0["seq"] as? Int })
            #expect(wanted.count == 4)
            try await Self.wait("every event about b-1 delivered") { Set(receiver.delivered.compactMap { ($0["body"] as? [String: Any])?["seq"] as? Int }) == wanted }
            try await Task.sleep(for: .milliseconds(500))
            let seqs = receiver.delivered.compactMap { ($0["body"] as? [String: Any])?["seq"] as? Int }
            #expect(Set(seqs) == wanted && seqs.count == wanted.count, "only b-1's events, each delivered once: \(seqs)")
            #expect(receiver.requests.allSatisfy { $0["valid"] as? Bool == true }, "every signature verifies with the secret")
            #expect(receiver.requests.filter { $0["status"] as? Int == 500 }.count == 2 * wanted.count)

            let history = try await Self.request(server, "GET", "/api/v1/webhooks/\(id)/deliveries", token: token)
            let deliveries = try #require((try JSONSerialization.jsonObject(with: history.body) as? [String: Any])?["deliveries"] as? [[String: Any]])
            let codes = deliveries.map { ($0["attempts"] as? [[String: Any]] ?? []).compactMap { $0["statusCode"] as? Int } }
            #expect(codes.count == wanted.count && codes.allSatisfy { $0 == [500, 500, 200] }, "each delivery shows its attempts: \(codes)")
            #expect(deliveries.allSatisfy { $0["status"] as? String == "delivered" })
            let metrics = try await HTTP.get(server.baseURL + "/metrics")
            #expect(metrics.text.contains("senate_live_webhook_deliveries_total{result=\"delivered\"} 4"))
        }

        @Test("deliveries pending when the server is killed are delivered after the restart")
        func pendingAcrossRestart() async throws {
            let environment = Self.environment(["SENATE_LIVE_WEBHOOK_MAX_FAILURES": "1000"])
            var server = try ServerProcess(environment: environment)
            let data = server.dataDirectory
            let log = data.appendingPathComponent("received.jsonl")
            var receiver = try Receiver(log: log, flags: ["--always-fail"])
            let port = receiver.port
            let token = try EndToEnd.RelayEndToEnd.token()
            let id = try await Self.register(server, token: token, port: port, filter: ["types": ["notice"]])
            let stored = try await EndToEnd.RelayEndToEnd.post(server, token: token, body: (1...3).map { ["type": "notice", "data": ["text": "ประกาศ \($0)"]] })
            try await Self.wait("failed attempts") { receiver.requests.count >= 3 }
            server.kill9()
            receiver.stop()

            receiver = try Receiver(port: port, log: log)
            defer { receiver.stop() }
            server = try ServerProcess(environment: environment, dataDirectory: data)
            defer { server.stop() }
            try await Self.wait("the pending deliveries after the restart") { receiver.delivered.count >= 3 }
            let seqs = Set(receiver.delivered.compactMap { ($0["body"] as? [String: Any])?["seq"] as? Int })
            #expect(seqs == Set(stored.compactMap { $0["seq"] as? Int }))
            let ids = receiver.requests.compactMap { $0["delivery"] as? String }
            #expect(Set(ids).count == 3, "retries of one delivery carry the same delivery id")
            let history = try await Self.request(server, "GET", "/api/v1/webhooks/\(id)/deliveries", token: token)
            #expect(history.text.contains("\"status\":\"delivered\""))
        }

        @Test("an endpoint that keeps failing is disabled, reported in the API and metrics, and can be enabled again")
        func deadEndpointDisabled() async throws {
            let server = try ServerProcess(environment: Self.environment(["SENATE_LIVE_WEBHOOK_MAX_FAILURES": "3"]))
            defer { server.stop() }
            let receiver = try Receiver(log: server.dataDirectory.appendingPathComponent("received.jsonl"), flags: ["--always-fail"])
            defer { receiver.stop() }
            let token = try EndToEnd.RelayEndToEnd.token()
            let id = try await Self.register(server, token: token, port: receiver.port, filter: [:])
            _ = try await EndToEnd.RelayEndToEnd.post(server, token: token, body: [["type": "notice", "data": ["text": "x"]]])
            try await Self.wait("disabled") { try await Self.request(server, "GET", "/api/v1/webhooks/\(id)", token: token).text.contains("\"status\":\"disabled\"") }
            let webhook = try await Self.request(server, "GET", "/api/v1/webhooks/\(id)", token: token)
            #expect(webhook.text.contains("3 failed attempts in a row; last: HTTP 500"), "\(webhook.text)")
            try await Self.wait("the metric", timeout: 5) { try await HTTP.get(server.baseURL + "/metrics").text.contains("senate_live_webhooks_disabled 1") }
            let attempts = receiver.requests.count
            let held = try await EndToEnd.RelayEndToEnd.post(server, token: token, body: [["type": "notice", "data": ["text": "while disabled"]]])
            let heldSeq = try #require(held.first?["seq"] as? Int)
            try await Task.sleep(for: .seconds(2))
            #expect(receiver.requests.count == attempts, "nothing is sent to a disabled endpoint")
            let enabled = try await Self.request(server, "POST", "/api/v1/webhooks/\(id)/enable", token: token)
            #expect(enabled.status == 200 && enabled.text.contains("\"status\":\"active\""))
            try await Self.wait("the event published while disabled goes out") {
                receiver.requests.contains { ($0["body"] as? [String: Any])?["seq"] as? Int == heldSeq }
            }
            let other = try await Self.request(server, "GET", "/api/v1/webhooks/\(id)", token: try EndToEnd.RelayEndToEnd.token(channel: "parliament", subject: "someone-else"))
            #expect(other.status == 404, "another operator's webhook is not visible")
        }

        @Test("WebSocket follow: only events about the followed bill; unfollow lets everything through; a Thai keyword passes only the final lines that say it")
        func webSocketFollow() async throws {
            let server = try ServerProcess(environment: Self.environment())
            defer { server.stop() }
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/follow_check.py")
            let run = try Tool.run("python3", [script.path, server.baseURL, try EndToEnd.RelayEndToEnd.token()])
            #expect(run.succeeded, "\(run.stderr)\n\(run.stdout)")
        }
    }
}
