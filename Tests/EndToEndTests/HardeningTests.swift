import Foundation
import Testing

extension EndToEnd {
    /// The server against clients that break the rules or all come at once: raw sockets and Python
    /// `websockets` (`Scripts/hardening_check.py`, `Scripts/storm_check.py`).
    @Suite("Field hardening")
    struct Hardening {
        static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts")

        /// Runs `script scenario base args…`; its JSON summary on success.
        @discardableResult
        static func run(_ script: String, _ scenario: String, _ server: ServerProcess, _ arguments: [String] = [], environment: [String: String] = [:], timeout: Double = 240) throws -> String {
            var command = [scripts.appendingPathComponent(script).path, scenario, server.baseURL] + arguments
            if !environment.isEmpty { command = environment.map { "\($0.key)=\($0.value)" } + ["python3"] + command }
            let result = try Tool.run(environment.isEmpty ? "python3" : "env", command, timeout: timeout)
            #expect(result.succeeded, "\(script) \(scenario): \(result.stderr.suffix(3000))")
            return result.stdout
        }

        @Test("malformed requests are answered 400/431 within a second and their connections closed")
        func malformedHTTP() throws {
            let server = try ServerProcess(environment: RelayEndToEnd.environment())
            defer { server.stop() }
            try Self.run("hardening_check.py", "malformed", server, [try RelayEndToEnd.token()])
        }

        @Test("1,000 slow-loris connections: others are served throughout, the rest are refused or timed out, fds stay bounded")
        func slowLoris() throws {
            let server = try ServerProcess(environment: RelayEndToEnd.environment(["SENATE_LIVE_HEADER_TIMEOUT": "2"]))
            defer { server.stop() }
            try Self.run("hardening_check.py", "slowloris", server, ["\(server.pid)", "1000"])
        }

        @Test("WebSocket: frames and messages over the limit close with 1009, invalid UTF-8 with 1007, unmasked frames with 1002; a frame behind the upgrade request is taken, an upgrade that never completes is timed out")
        func webSocketLimits() throws {
            let server = try ServerProcess(environment: RelayEndToEnd.environment(["SENATE_LIVE_BODY_TIMEOUT": "2"]))
            defer { server.stop() }
            try Self.run("hardening_check.py", "websocket", server)
        }

        @Test("SIGTERM ends the process within drainTimeout although clients never answer the close handshake")
        func drainDeadline() throws {
            let server = try ServerProcess(environment: RelayEndToEnd.environment(["SENATE_LIVE_DRAIN_TIMEOUT": "3"]))
            let script = Self.scripts.appendingPathComponent("hardening_check.py").path
            let holder = Process()
            holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            holder.arguments = ["python3", script, "stuck", server.baseURL, "50"]
            let output = Pipe()
            holder.standardOutput = output
            holder.standardError = FileHandle.nullDevice
            try holder.run()
            defer { holder.kill9() }
            let ready = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            try #require(ready.contains("ready"), "the stuck clients did not connect: \(ready)")
            let started = Date()
            server.stop(timeout: 20)
            let seconds = Date().timeIntervalSince(started)
            #expect(seconds < 3.5, "the drain took \(seconds) s with a 3 s drainTimeout")
        }

        @Test("webhook URLs into the server's own network are refused by default, reached when allowed, and checked again at each connection")
        func webhookTargets() async throws {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("senate-live-targets-\(UUID().uuidString)")
            let receiver = try WebhookEndToEnd.Receiver(log: folder.appendingPathComponent("receiver.log"))
            defer { receiver.stop() }
            let token = try RelayEndToEnd.token()
            let strict = RelayEndToEnd.environment(["SENATE_LIVE_WEBHOOK_RETRY_BASE": "0.2", "SENATE_LIVE_WEBHOOK_RETRY_CAP": "0.5"])
            do {
                let server = try ServerProcess(environment: strict, dataDirectory: folder)
                defer { server.stop() }
                try Self.run("hardening_check.py", "targets", server, [token, "\(receiver.port)"])
            }
            // Allowed when configured: private addresses, and the scheme in any case.
            do {
                let server = try ServerProcess(environment: strict.merging(["SENATE_LIVE_WEBHOOK_ALLOW_PRIVATE": "true"]) { _, new in new }, dataDirectory: folder)
                defer { server.stop() }
                let reply = try await WebhookEndToEnd.request(server, "POST", "/api/v1/webhooks", token: token, body: [
                    "url": "HTTP://127.0.0.1:\(receiver.port)/hook", "secret": WebhookEndToEnd.secret,
                ])
                try #require(reply.status == 201, "\(reply.text)")
                #expect(reply.text.contains("http://127.0.0.1:\(receiver.port)/hook"), "the stored URL is normalized: \(reply.text)")
                _ = try await WebhookEndToEnd.request(server, "POST", "/api/v1/channels/senate/events", token: token, body: ["type": "notice", "data": ["text": "allowed"]])
                try await WebhookEndToEnd.wait("the allowed delivery") { receiver.delivered.count == 1 }
            }
            // The same stored webhook, on a server that no longer allows private addresses: refused when it
            // would connect, nothing sent.
            let server = try ServerProcess(environment: strict, dataDirectory: folder)
            defer { server.stop() }
            let listed = try await WebhookEndToEnd.request(server, "GET", "/api/v1/webhooks", token: token)
            let webhooks = try #require((try JSONSerialization.jsonObject(with: listed.body) as? [String: Any])?["webhooks"] as? [[String: Any]])
            let id = try #require(webhooks.first?["id"] as? String)
            _ = try await WebhookEndToEnd.request(server, "POST", "/api/v1/channels/senate/events", token: token, body: ["type": "notice", "data": ["text": "refused"]])
            try await WebhookEndToEnd.wait("an attempt refused at connect time") {
                try await WebhookEndToEnd.request(server, "GET", "/api/v1/webhooks/\(id)/deliveries", token: token).text.contains("address_not_allowed")
            }
            #expect(receiver.requests.count == 1, "a request reached the receiver after the policy refused it")
        }

        @Test("inputs: only kinds FFmpeg may open here, local files only inside ingest.fileRoot, no pulls from private addresses, no protocol options")
        func inputTargets() throws {
            let root = Fixtures.folder.path
            let clip = try Fixtures.clip().lastPathComponent
            let server = try ServerProcess(environment: RelayEndToEnd.environment(["SENATE_LIVE_INPUT_FILE_ROOT": root]))
            defer { server.stop() }
            try Self.run("hardening_check.py", "inputs", server, [try RelayEndToEnd.token(), root, clip])
        }

        @Test("tokens: nbf in the future is refused, past nbf and exp honoured")
        func tokenTimes() throws {
            let server = try ServerProcess(environment: RelayEndToEnd.environment())
            defer { server.stop() }
            try Self.run("hardening_check.py", "tokens", server, [RelayEndToEnd.secret])
        }

        /// 8 concurrent resumes deadlocked the server once. These run on a debug build, whose event loops are
        /// many times slower than a release build's; the release figures (500 + 500, /healthz p99) come from
        /// `Benchmarks/faults.sh`. `relay.recentEvents` 0 sends every replay to the event log, the path that
        /// deadlocked; the default serves them from memory.
        @Test("a resume storm (WebSocket and HTTP history from since=1, all at once) is served in order while /healthz answers", arguments: ["4096", "0"])
        func resumeStorm(recentEvents: String) throws {
            let server = try ServerProcess(environment: RelayEndToEnd.environment(["SENATE_LIVE_RECENT_EVENTS": recentEvents]))
            defer { server.stop() }
            try Self.run("storm_check.py", "storm", server, [try RelayEndToEnd.token(), "200", "50"], environment: ["HEALTH_LIMIT_MS": "2500"])
        }

        @Test("the same storm on a PostgreSQL event log, replays read from the database")
        func resumeStormOnPostgres() throws {
            let database = try PostgresCluster()
            defer { database.stop() }
            let server = try ServerProcess(environment: RelayEndToEnd.environment([
                "SENATE_LIVE_STORE": database.url, "SENATE_LIVE_ROLES": "ingest,relay", "SENATE_LIVE_RECENT_EVENTS": "0",
            ]))
            defer { server.stop() }
            try Self.run("storm_check.py", "storm", server, [try RelayEndToEnd.token(), "200", "50"], environment: ["HEALTH_LIMIT_MS": "2500"])
        }

        @Test("a restart with 300 subscribers connected: every one reconnects with since and misses nothing")
        func restartWithSubscribers() throws {
            let drill = RestartDrill(environment: RelayEndToEnd.environment())
            let outcome = try drill.run(script: Self.scripts.appendingPathComponent("storm_check.py")) { base in
                ["restart", base, try RelayEndToEnd.token(), "300"]
            }
            #expect(outcome.drained == 0)
            #expect(outcome.status == 0, "\(outcome.errors)")
        }
    }
}
