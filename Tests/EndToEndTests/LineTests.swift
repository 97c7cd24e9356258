import Foundation
import Testing

extension EndToEnd {
    @Suite("LINE Official Account against a local Messaging API")
    struct LineEndToEnd {
        static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/line_api.py")
        static let (token, secret) = ("line-channel-token", "line-channel-secret")

        /// `line_api.py` on 127.0.0.1: checks each request against the Messaging API's reference and logs it.
        final class LineAPIProcess: @unchecked Sendable {
            let process = Process()
            let port: Int
            let log: URL

            init(behaviour: [String: Any]) throws {
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("line-api-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                log = folder.appendingPathComponent("log.jsonl")
                let behaviourFile = folder.appendingPathComponent("behaviour.json"), portFile = folder.appendingPathComponent("port")
                try JSONSerialization.data(withJSONObject: behaviour).write(to: behaviourFile)
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["python3", "-u", LineEndToEnd.script.path, "--port-file", portFile.path, "--log", log.path,
                                     "--token", LineEndToEnd.token, "--behaviour", behaviourFile.path]
                process.standardOutput = FileHandle.nullDevice
                try process.run()
                let deadline = Date().addingTimeInterval(20)
                while (try? String(contentsOf: portFile, encoding: .utf8)) == nil {
                    guard Date() < deadline, process.isRunning else { throw FixtureError(message: "line_api.py did not start") }
                    Thread.sleep(forTimeInterval: 0.05)
                }
                port = Int((try String(contentsOf: portFile, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            }

            var requests: [[String: Any]] {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            }

            var accepted: [[String: Any]] { requests.filter { $0["status"] as? Int == 200 } }

            func recipients(_ request: [String: Any]) -> [String] {
                (request["to"] as? [String]) ?? [(request["to"] as? String)].compactMap { $0 }
            }

            deinit {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
            }
        }

        static func user(_ n: Int) -> String { String(format: "U%032x", n) }

        /// Posts a LINE webhook body, signed with `secret` (the channel's, unless a forgery is wanted).
        static func webhook(_ server: ServerProcess, events: [[String: Any]], signedWith key: String = secret) async throws -> HTTP.Reply {
            let body = try JSONSerialization.data(withJSONObject: ["destination": "Ubot", "events": events])
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("line-body-\(UUID().uuidString).json")
            try body.write(to: file)
            let signed = try Tool.run("python3", [script.path, "sign", "--secret", key, "--body-file", file.path])
            return try await HTTP.send("POST", server.baseURL + "/api/v1/line/webhook", body: body,
                                       headers: ["X-Line-Signature": signed.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "Content-Type": "application/json"])
        }

        static func text(_ user: String, _ text: String) -> [String: Any] {
            ["type": "message", "source": ["type": "user", "userId": user], "message": ["type": "text", "id": "1", "text": text], "replyToken": "r"]
        }

        @Test("1,001 followers of a bill: multicasts of 500 and a push, retried after 429 with the same retry key; a keyword in a Thai line; a forged webhook changes nothing; the monthly budget holds what would go over")
        func alerts() async throws {
            let api = try LineAPIProcess(behaviour: ["rateLimit": 2])
            let server = try ServerProcess(environment: EndToEnd.RelayEndToEnd.environment([
                "SENATE_LIVE_LINE_CHANNEL_ACCESS_TOKEN": Self.token, "SENATE_LIVE_LINE_CHANNEL_SECRET": Self.secret,
                "SENATE_LIVE_LINE_API_BASE": "http://127.0.0.1:\(api.port)", "SENATE_LIVE_LINE_ALLOW_PRIVATE": "1",
                "SENATE_LIVE_LINE_MONTHLY_BUDGET": "1100", "SENATE_LIVE_LINE_PUBLIC_URL": "https://live.senate.example",
            ]))
            defer { server.stop() }
            let token = try EndToEnd.RelayEndToEnd.token()

            let followers = (0..<1001).map(Self.user)
            for start in stride(from: 0, to: followers.count, by: 250) {
                let events = followers[start..<min(followers.count, start + 250)].flatMap { user -> [[String: Any]] in
                    [["type": "follow", "source": ["type": "user", "userId": user], "replyToken": "r"], Self.text(user, "bill-77")]
                }
                let reply = try await Self.webhook(server, events: events)
                try #require(reply.status == 200, "\(reply.text)")
            }
            #expect(try await Self.webhook(server, events: [Self.text(Self.user(5000), "งบประมาณ")]).status == 200)
            // A forged signature: refused, and its follow is not stored.
            let forged = try await Self.webhook(server, events: [Self.text(Self.user(6000), "bill-77")], signedWith: "not-the-secret")
            #expect(forged.status == 401 && forged.text.contains("invalid_signature"), "\(forged.text)")
            let unsigned = try await HTTP.send("POST", server.baseURL + "/api/v1/line/webhook", body: Data(#"{"events":[]}"#.utf8))
            #expect(unsigned.status == 401)

            _ = try await EndToEnd.RelayEndToEnd.post(server, token: token, body: EndToEnd.PushEndToEnd.agenda + [["type": "agenda.item", "data": ["itemId": "i1"]]])
            try await EndToEnd.WebhookEndToEnd.wait("every follower reached", timeout: 60) {
                api.accepted.flatMap(api.recipients).count >= 1001
            }
            let accepted = api.accepted
            #expect(Set(accepted.flatMap(api.recipients)) == Set(followers), "each follower once, the forged one not at all")
            #expect(accepted.map { api.recipients($0).count }.sorted() == [1, 500, 500])
            #expect(accepted.contains { ($0["path"] as? String) == "/v2/bot/message/push" }, "one user: a push")
            let limited = api.requests.filter { $0["status"] as? Int == 429 }
            #expect(limited.count == 2)
            let acceptedKeys = Set(accepted.compactMap { $0["retryKey"] as? String })
            #expect(acceptedKeys.count == 3 && limited.allSatisfy { acceptedKeys.contains($0["retryKey"] as? String ?? "") },
                    "a retry after 429 carries the same X-Line-Retry-Key")
            #expect(api.requests.allSatisfy { $0["error"] is NSNull || $0["error"] == nil }, "every request in LINE's format: \(api.requests.compactMap { $0["error"] as? String })")
            let message = try #require((accepted.first?["messages"] as? [[String: Any]])?.first?["text"] as? String)
            #expect(message.hasPrefix("1. ร่างพระราชบัญญัติงบประมาณรายจ่าย\nเริ่มพิจารณาแล้วขณะนี้\nhttps://live.senate.example/watch/senate?at="), "\(message)")

            // A keyword said inside a Thai sentence reaches its one follower (1,002 of 1,100 used).
            _ = try await EndToEnd.RelayEndToEnd.post(server, token: token, body: [["type": "transcript.line", "data": [
                "lineId": "L1", "text": "ที่ประชุมพิจารณางบประมาณประจำปี", "lang": "th", "start": "2026-12-01T03:00:00Z", "end": "2026-12-01T03:00:04Z", "final": true,
            ]]])
            try await EndToEnd.WebhookEndToEnd.wait("the keyword's follower reached") {
                api.accepted.contains { api.recipients($0) == [Self.user(5000)] }
            }
            // The bill again: the two requests of 500 would pass the budget of 1,100 and are held (and it is
            // said); the push to one user still fits, and goes.
            let before = api.requests.count
            _ = try await EndToEnd.RelayEndToEnd.post(server, token: token, body: [
                ["type": "agenda.item", "data": ["itemId": "i2"]], ["type": "agenda.item", "data": ["itemId": "i1"]],
            ])
            var metrics = ""
            do {
                try await EndToEnd.WebhookEndToEnd.wait("the budget holds the alert") {
                    metrics = (try await HTTP.get(server.baseURL + "/metrics")).text
                    return metrics.contains(#"senate_live_line_messages_total{result="held"} 1000"#)
                }
            } catch {
                Issue.record("\(error): \(metrics.split(separator: "\n").filter { $0.contains("line") })\n\(server.log.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(500))
            let after = api.requests.dropFirst(before)
            #expect(after.count == 1 && after.allSatisfy { api.recipients($0).count == 1 && $0["status"] as? Int == 200 }, "only what fits: \(after)")
            #expect(api.accepted.flatMap(api.recipients).count <= 1100, "LINE never counted more than the budget")
            #expect(server.log.contains("monthly budget"))
        }
    }
}
