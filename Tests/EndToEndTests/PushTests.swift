import Foundation
import Testing

extension EndToEnd {
    @Suite("Web Push against a local push service")
    struct PushEndToEnd {
        static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/push_service.py")

        /// `push_service.py serve` on 127.0.0.1 with `count` subscriptions it made (keys it can decrypt with).
        final class PushServiceProcess: @unchecked Sendable {
            let process = Process()
            let port: Int
            let folder: URL
            let log: URL
            /// The subscriptions as the browser would hand them over, by id (`s0`…).
            let subscriptions: [String: [String: Any]]

            init(count: Int, behaviour: [String: Any] = [:], sharedKey: Bool = false) throws {
                port = try Spawn.freePort()
                folder = FileManager.default.temporaryDirectory.appendingPathComponent("push-service-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                log = folder.appendingPathComponent("log.jsonl")
                let file = folder.appendingPathComponent("subscriptions.jsonl")
                var make = ["make", "--count", "\(count)", "--endpoint-base", "http://127.0.0.1:\(port)", "--out", file.path]
                if sharedKey { make.append("--shared-key") }
                let made = try Tool.run("python3", [PushEndToEnd.script.path] + make)
                guard made.succeeded else { throw FixtureError(message: "push_service make: \(made.stderr)") }
                var byId: [String: [String: Any]] = [:]
                for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
                    let entry = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                    byId[entry["id"] as? String ?? ""] = entry
                }
                subscriptions = byId
                let behaviourFile = folder.appendingPathComponent("behaviour.json")
                try JSONSerialization.data(withJSONObject: behaviour).write(to: behaviourFile)
                let portFile = folder.appendingPathComponent("port")
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["python3", "-u", PushEndToEnd.script.path, "serve", "--subscriptions", file.path, "--port-file", portFile.path,
                                     "--log", log.path, "--port", "\(port)", "--behaviour", behaviourFile.path]
                process.standardOutput = FileHandle.nullDevice
                try process.run()
                let deadline = Date().addingTimeInterval(30)
                while !FileManager.default.fileExists(atPath: portFile.path) {
                    guard Date() < deadline, process.isRunning else { throw FixtureError(message: "push service did not start") }
                    Thread.sleep(forTimeInterval: 0.05)
                }
            }

            /// Every push received so far.
            var pushes: [[String: Any]] {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            }

            func pushes(to id: String) -> [[String: Any]] { pushes.filter { $0["id"] as? String == id } }

            /// What the page would POST: the subscription's `toJSON()`.
            func browserSubscription(_ id: String) -> [String: Any] {
                let entry = subscriptions[id] ?? [:]
                return ["endpoint": entry["endpoint"] ?? "", "keys": entry["keys"] ?? [:]]
            }

            func stop() {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
            }

            deinit { stop() }
        }

        static func environment(_ extra: [String: String] = [:]) -> [String: String] {
            EndToEnd.RelayEndToEnd.environment(["SENATE_LIVE_PUSH_ALLOW_PRIVATE": "1"].merging(extra) { _, new in new })
        }

        static func subscribe(_ server: ServerProcess, _ subscription: [String: Any], follow: [String: Any], lang: String = "th") async throws -> HTTP.Reply {
            try await HTTP.send("POST", server.baseURL + "/api/v1/push/subscriptions",
                                body: try JSONSerialization.data(withJSONObject: ["subscription": subscription, "follow": follow, "lang": lang]))
        }

        static func unsubscribe(_ server: ServerProcess, endpoint: String) async throws -> HTTP.Reply {
            try await HTTP.send("DELETE", server.baseURL + "/api/v1/push/subscriptions", body: try JSONSerialization.data(withJSONObject: ["endpoint": endpoint]))
        }

        static var agenda: [[String: Any]] { [
            ["type": "sitting.started", "data": ["title": "การประชุมวุฒิสภา", "chamber": "senate", "number": 1, "scheduledAt": "2026-12-01T02:00:00Z"]],
            ["type": "agenda.set", "data": ["items": [
                ["id": "i1", "number": "1", "title": "ร่างพระราชบัญญัติงบประมาณรายจ่าย", "billId": "bill-77", "tags": ["budget"]],
                ["id": "i2", "number": "2", "title": "ญัตติอื่น"],
            ]]],
        ] }

        @Test("a bill's followers get a verified, decryptable Thai or English alert; 410 and 404 remove the subscription; 429 waits for Retry-After")
        func deliveries() async throws {
            let service = try PushServiceProcess(count: 6, behaviour: [
                "s3": ["status": 410], "s4": ["status": 404], "s5": ["status": 429, "times": 2, "retryAfter": 2],
            ])
            let server = try ServerProcess(environment: Self.environment())
            defer { server.stop() }
            let token = try EndToEnd.RelayEndToEnd.token()
            for id in ["s0", "s1", "s2", "s3", "s4", "s5"] {
                let reply = try await Self.subscribe(server, service.browserSubscription(id), follow: ["billIds": ["bill-77"]], lang: id == "s1" ? "en" : "th")
                #expect(reply.status == 201, "\(id): \(reply.text)")
            }
            _ = try await EndToEnd.RelayEndToEnd.post(server, token: token, body: Self.agenda + [["type": "agenda.item", "data": ["itemId": "i2"]]])
            let taken = try await EndToEnd.RelayEndToEnd.post(server, token: token, body: [["type": "agenda.item", "data": ["itemId": "i1"]]])
            let seq = try #require(taken.first?["seq"] as? Int)

            try await EndToEnd.WebhookEndToEnd.wait("every follower answered", timeout: 30) {
                ["s0", "s1", "s2", "s5"].allSatisfy { id in service.pushes(to: id).contains { $0["status"] as? Int == 201 } }
                    && !service.pushes(to: "s3").isEmpty && !service.pushes(to: "s4").isEmpty
            }
            for id in ["s0", "s1", "s2"] {
                let pushes = service.pushes(to: id)
                #expect(pushes.count == 1, "\(id) got one push, for i1 only: \(pushes)")
                let push = try #require(pushes.first)
                #expect(push["verified"] as? Bool == true, "\(push)")
                #expect(push["urgency"] as? String == "high" && (push["ttl"] as? Int ?? 0) > 3000)
                let payload = try #require(push["payload"] as? [String: Any])
                #expect(payload["title"] as? String == "1. ร่างพระราชบัญญัติงบประมาณรายจ่าย")
                #expect(payload["body"] as? String == (id == "s1" ? "Taken up now" : "เริ่มพิจารณาแล้วขณะนี้"))
                #expect(payload["seq"] as? Int == seq && payload["type"] as? String == "agenda.item")
                #expect((payload["url"] as? String)?.hasPrefix("/watch/senate?at=") == true)
            }
            // 429 twice with Retry-After: 2, then delivered: the retries wait at least that long.
            let limited = service.pushes(to: "s5")
            #expect(limited.map { $0["status"] as? Int } == [429, 429, 201], "\(limited)")
            let times = limited.compactMap { $0["t"] as? Double }
            #expect(times.count == 3 && times[1] - times[0] >= 1.9 && times[2] - times[1] >= 1.9, "\(times)")

            // The gone subscriptions were removed: another alert reaches the rest only.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await Self.unsubscribe(server, endpoint: service.subscriptions["s3"]?["endpoint"] as? String ?? "").status == 404)
            #expect(try await Self.unsubscribe(server, endpoint: service.subscriptions["s4"]?["endpoint"] as? String ?? "").status == 404)
            _ = try await EndToEnd.RelayEndToEnd.post(server, token: token, body: [
                ["type": "vote.opened", "data": ["voteId": "v1", "itemId": "i1", "motion": "รับหลักการ"]],
                ["type": "vote.closed", "data": ["voteId": "v1", "result": "passed", "yes": 152, "no": 23, "abstain": 4, "notVoting": 1, "records": []]],
            ])
            try await EndToEnd.WebhookEndToEnd.wait("the vote's result reached the followers") {
                ["s0", "s1", "s2", "s5"].allSatisfy { service.pushes(to: $0).count >= 2 + ($0 == "s5" ? 2 : 0) }
            }
            let result = try #require(service.pushes(to: "s1").last?["payload"] as? [String: Any])
            #expect(result["body"] as? String == "Vote passed 152–23, 4 abstaining", "\(result)")
            #expect(service.pushes(to: "s3").count == 1 && service.pushes(to: "s4").count == 1, "nothing more to removed subscriptions")
            // Unsubscribing stops alerts.
            #expect(try await Self.unsubscribe(server, endpoint: service.subscriptions["s0"]?["endpoint"] as? String ?? "").status == 204)
        }

        @Test("a Thai keyword said inside a Thai sentence alerts exactly its followers, once per line")
        func keywords() async throws {
            let service = try PushServiceProcess(count: 3)
            let server = try ServerProcess(environment: Self.environment())
            defer { server.stop() }
            let token = try EndToEnd.RelayEndToEnd.token()
            #expect(try await Self.subscribe(server, service.browserSubscription("s0"), follow: ["keywords": ["งบประมาณ"]]).status == 201)
            #expect(try await Self.subscribe(server, service.browserSubscription("s1"), follow: ["keywords": ["ภาษี"]]).status == 201)
            #expect(try await Self.subscribe(server, service.browserSubscription("s2"), follow: ["keywords": ["งบประมาณ", "รายจ่าย"]]).status == 201)
            func line(_ id: String, _ text: String, final: Bool) -> [String: Any] {
                ["type": "transcript.line", "data": ["lineId": id, "text": text, "speaker": "นายสมชาย ใจดี", "lang": "th",
                                                     "start": "2026-12-01T03:00:00Z", "end": "2026-12-01T03:00:05Z", "final": final]]
            }
            _ = try await EndToEnd.RelayEndToEnd.post(server, token: token, body: Self.agenda + [
                line("L1", "ที่ประชุมพิจารณางบประ", final: false),
                line("L1", "ที่ประชุมพิจารณางบประมาณรายจ่ายประจำปี", final: true),
                line("L1", "ที่ประชุมพิจารณางบประมาณรายจ่ายประจำปีงบประมาณ", final: true),
                line("L2", "ขอให้ที่ประชุมลงมติ", final: true),
            ])
            try await EndToEnd.WebhookEndToEnd.wait("the keyword's followers were alerted") {
                service.pushes(to: "s0").count == 1 && service.pushes(to: "s2").count == 1
            }
            try await Task.sleep(for: .seconds(1))
            #expect(service.pushes(to: "s0").count == 1 && service.pushes(to: "s2").count == 1, "once per line, whatever matched")
            #expect(service.pushes(to: "s1").isEmpty, "ภาษี was not said")
            let payload = try #require(service.pushes(to: "s0").first?["payload"] as? [String: Any])
            // The line was corrected before its alert went out: the alert carries the corrected text.
            #expect(payload["title"] as? String == "นายสมชาย ใจดี" && payload["body"] as? String == "ที่ประชุมพิจารณางบประมาณรายจ่ายประจำปีงบประมาณ")
            #expect(payload["url"] as? String == "/watch/senate?at=2026-12-01T03:00:00.000Z")
            #expect(service.pushes(to: "s0").first?["urgency"] as? String == "normal")
        }

        @Test("bad subscriptions get a clear 4xx and nothing is stored; a flood of calls is limited per address")
        func badInput() async throws {
            let service = try PushServiceProcess(count: 2)
            // Default policy: loopback push services are refused.
            let strict = try ServerProcess(environment: EndToEnd.RelayEndToEnd.environment(["SENATE_LIVE_PUSH_CALLS_PER_MINUTE": "12"]))
            defer { strict.stop() }
            let key = try await HTTP.get(strict.baseURL + "/api/v1/push/key")
            let publicKey = try #require((try JSONSerialization.jsonObject(with: key.body) as? [String: Any])?["publicKey"] as? String)
            #expect(publicKey.count == 87, "an uncompressed P-256 key, base64url")
            var good = service.browserSubscription("s0")
            func code(_ reply: HTTP.Reply) -> String? {
                ((try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any]).flatMap { $0["error"] as? [String: Any] }?["code"] as? String
            }
            let loopback = try await Self.subscribe(strict, good, follow: ["billIds": ["b"]])
            #expect(loopback.status == 400 && code(loopback) == "invalid_endpoint", "http is refused without allowPrivate: \(loopback.text)")
            good["endpoint"] = "https://127.0.0.1:\(service.port)/push/s0"
            let privateHost = try await Self.subscribe(strict, good, follow: ["billIds": ["b"]])
            #expect(privateHost.status == 422 && code(privateHost) == "address_not_allowed", "\(privateHost.text)")
            good["endpoint"] = "https://push.example.invalid/x"
            var badKey = good
            badKey["keys"] = ["p256dh": "BBBB", "auth": (good["keys"] as? [String: Any])?["auth"] ?? ""]
            let refusedKey = try await Self.subscribe(strict, badKey, follow: ["billIds": ["b"]])
            #expect(refusedKey.status == 400 && code(refusedKey) == "invalid_key")
            let keywords = try await Self.subscribe(strict, good, follow: ["keywords": (0..<21).map { "คำ\($0)" }])
            #expect(keywords.status == 422 && code(keywords) == "too_many_keywords")
            let empty = try await Self.subscribe(strict, good, follow: [:])
            #expect(empty.status == 400 && code(empty) == "missing_field")
            let garbage = try await HTTP.send("POST", strict.baseURL + "/api/v1/push/subscriptions", body: Data("{not json".utf8))
            #expect(garbage.status == 400 && code(garbage) == "invalid_json")
            let huge = try await HTTP.send("POST", strict.baseURL + "/api/v1/push/subscriptions", body: Data(repeating: 0x20, count: 64 * 1024))
            #expect(huge.status == 413)
            let upper = try await Self.subscribe(strict, ["endpoint": "https://PUSH.example.invalid/x", "keys": good["keys"] ?? [:]], follow: ["billIds": ["b"]])
            #expect(upper.status == 400 && code(upper) == "invalid_endpoint", "the host must be written as it is pinned")
            let short = try await Self.subscribe(strict, good, follow: ["keywords": ["า"]])
            #expect(short.status == 400 && code(short) == "invalid_value", "a one-letter keyword would match every line")
            // 12 calls a minute from one address: valid subscriptions (a public address, no lookup needed) are
            // stored until the limit, then refused with 429 and Retry-After, and not stored.
            var outcomes: [(endpoint: String, status: Int)] = []
            for n in 0..<8 {
                var flood = good
                flood["endpoint"] = "https://8.8.8.8/push/flood-\(n)"
                let reply = try await Self.subscribe(strict, flood, follow: ["billIds": ["b"]])
                outcomes.append((flood["endpoint"] as? String ?? "", reply.status))
                if reply.status == 429 {
                    #expect(code(reply) == "rate_limited" && Int(reply.header("Retry-After") ?? "") ?? 0 >= 1)
                }
            }
            #expect(outcomes.contains { $0.status == 201 } && outcomes.contains { $0.status == 429 }, "\(outcomes)")
            #expect(outcomes.allSatisfy { $0.status == 201 || $0.status == 429 }, "\(outcomes)")
            // What was refused was not stored, and nothing of the bad requests before: a new server on the same
            // data (this one's address is now limited) has no subscription to remove at those endpoints.
            strict.stop()
            let fresh = try ServerProcess(environment: EndToEnd.RelayEndToEnd.environment(), dataDirectory: strict.dataDirectory)
            defer { fresh.stop() }
            for endpoint in ["http://127.0.0.1:\(service.port)/push/s0", "https://127.0.0.1:\(service.port)/push/s0", "https://push.example.invalid/x"] {
                #expect(try await Self.unsubscribe(fresh, endpoint: endpoint).status == 404, "\(endpoint)")
            }
            for (endpoint, status) in outcomes {
                #expect(try await Self.unsubscribe(fresh, endpoint: endpoint).status == (status == 201 ? 204 : 404), "\(endpoint) answered \(status)")
            }
        }

        @Test("kill -9 in the middle of delivering to 1,500 followers: after the restart every one has its alert, duplicates at most one batch")
        func crashMidDelivery() async throws {
            let count = 1500, batch = 100
            let service = try PushServiceProcess(count: count, behaviour: ["*": ["delayMs": 50]], sharedKey: true)
            let environment = Self.environment(["SENATE_LIVE_PUSH_CALLS_PER_MINUTE": "0", "SENATE_LIVE_PUSH_BATCH": "\(batch)", "SENATE_LIVE_PUSH_CONCURRENCY": "32"])
            let server = try ServerProcess(environment: environment)
            let token = try EndToEnd.RelayEndToEnd.token()
            for index in 0..<count {
                let reply = try await Self.subscribe(server, service.browserSubscription("s\(index)"), follow: ["billIds": ["bill-77"]])
                try #require(reply.status == 201, "\(reply.text)")
            }
            _ = try await EndToEnd.RelayEndToEnd.post(server, token: token, body: Self.agenda + [["type": "agenda.item", "data": ["itemId": "i1"]]])
            try await EndToEnd.WebhookEndToEnd.wait("a third delivered", timeout: 60) { service.pushes.count >= count / 3 }
            server.kill9()
            let before = Set(service.pushes.compactMap { $0["id"] as? String })
            #expect(before.count < count, "killed mid-delivery")

            let restarted = try ServerProcess(environment: environment, dataDirectory: server.dataDirectory)
            defer { restarted.stop() }
            try await EndToEnd.WebhookEndToEnd.wait("every follower has the alert", timeout: 120) {
                Set(service.pushes.compactMap { $0["id"] as? String }).count == count
            }
            try await Task.sleep(for: .seconds(1))
            let pushes = service.pushes
            let duplicates = pushes.count - Set(pushes.compactMap { $0["id"] as? String }).count
            #expect(duplicates <= batch, "at most the claimed batch goes twice: \(duplicates)")
            #expect(pushes.allSatisfy { $0["status"] as? Int == 201 })
            print("push crash drill: \(before.count) of \(count) before the kill, \(duplicates) sent twice")
        }
    }
}
