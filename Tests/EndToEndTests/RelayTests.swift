import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

extension EndToEnd {
    /// The event relay, checked by an independent client (Python `websockets` and `urllib`).
    @Suite("Event relay")
    struct RelayEndToEnd {
        static let secret = "test-secret-test-secret-test-secret-0123456789"

        static func environment(_ extra: [String: String] = [:]) -> [String: String] {
            ["SENATE_LIVE_CHANNELS": "senate,parliament", "SENATE_LIVE_AUTH_SECRET": secret].merging(extra) { _, new in new }
        }

        static func token(channel: String = "senate", role: String = "operator", subject: String = "operator") throws -> String {
            var arguments = ["token", "--role", role, "--subject", subject]
            if role == "operator" { arguments += ["--channel", channel] }
            let process = Process()
            process.executableURL = ServerProcess.binary
            process.arguments = arguments
            process.environment = ["SENATE_LIVE_AUTH_SECRET": secret, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? ""]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0)
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Runs one scenario of `Scripts/relay_check.py` against `server`.
        @discardableResult
        static func check(_ scenario: String, _ server: ServerProcess, extra: [String] = []) throws -> String {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/relay_check.py")
            let result = try Tool.run("python3", [script.path, scenario, server.baseURL, try token()] + extra, timeout: 120)
            #expect(result.succeeded, "\(scenario): \(result.stderr.suffix(3000))")
            return result.stdout
        }

        /// Starts a server with `environment` and runs one scenario of the Python client against it.
        @discardableResult
        static func scenario(_ name: String, environment extra: [String: String] = [:], arguments: [String] = []) throws -> String {
            let server = try ServerProcess(environment: environment(extra))
            defer { server.stop() }
            return try check(name, server, extra: arguments)
        }

        @Test("publish → every subscriber receives each event once, in order; permessage-deflate is negotiated")
        func fanout() throws {
            try Self.scenario("fanout")
        }

        @Test("disconnect, publish more, resume with since → exactly the missed events, then live, no duplicate")
        func resume() throws {
            try Self.scenario("resume")
        }

        @Test("malformed client frames get an error op and the connection stays open")
        func malformedFrames() throws {
            try Self.scenario("malformed")
        }

        @Test("a stalled subscriber is closed with 4008 while the others keep receiving")
        func stalledSubscriber() throws {
            let output = try Self.scenario("stalled", environment: ["SENATE_LIVE_SUBSCRIBER_BUFFER_BYTES": "524288"])
            #expect(output.contains("\"closeCode\": 4008"))
        }

        @Test("401/403/400/413/422 store nothing; a repeated id returns the first event")
        func refusedRequests() throws {
            try Self.scenario("errors", environment: ["SENATE_LIVE_MAX_BODY_BYTES": "1048576"], arguments: [try Self.token(channel: "parliament")])
        }

        @Test("Server-Sent Events resume after Last-Event-ID")
        func serverSentEvents() throws {
            try Self.scenario("sse")
        }

        @Test("restart: seq continues, history and snapshot intact")
        func restart() async throws {
            let first = try ServerProcess(environment: Self.environment())
            let token = try Self.token()
            let events: [[String: Any]] = [
                ["type": "sitting.started", "data": ["title": "การประชุมวุฒิสภา ครั้งที่ 12", "chamber": "senate", "number": 12, "scheduledAt": "2026-11-23T02:30:00Z"]],
                ["type": "agenda.set", "data": ["items": [["id": "item-3", "number": "3", "title": "ร่างพระราชบัญญัติงบประมาณ", "billId": "bill-2026-041"]]]],
                ["type": "agenda.item", "data": ["itemId": "item-3"]],
                ["type": "vote.opened", "data": ["voteId": "vote-1", "itemId": "item-3", "motion": "รับหลักการ"]],
            ]
            let stored = try await Self.post(first, token: token, body: events)
            #expect(stored.map { $0["seq"] as? Int } == [1, 2, 3, 4])
            let stateBefore = try await HTTP.get(first.baseURL + "/api/v1/channels/senate/state").text
            #expect(first.stop() == 0)

            let second = try ServerProcess(environment: Self.environment(), dataDirectory: first.dataDirectory)
            defer { second.stop() }
            let stateAfter = try await HTTP.get(second.baseURL + "/api/v1/channels/senate/state").text
            #expect(stateAfter == stateBefore, "after the restart: \(stateAfter)\nbefore: \(stateBefore)")
            let next = try await Self.post(second, token: token, body: [["type": "vote.tally", "data": ["voteId": "vote-1", "yes": 3, "no": 1, "abstain": 0, "notVoting": 0]]])
            #expect(next.first?["seq"] as? Int == 5, "seq continues after the restart")
            let history = try await HTTP.get(second.baseURL + "/api/v1/channels/senate/events?since=0")
            let body = try #require(try JSONSerialization.jsonObject(with: history.body) as? [String: Any])
            #expect((body["events"] as? [[String: Any]])?.compactMap { $0["seq"] as? Int } == [1, 2, 3, 4, 5])
            let state = try await HTTP.get(second.baseURL + "/api/v1/channels/senate/state").text
            #expect(state.contains("\"yes\":3") && state.contains("\"currentItem\":\"item-3\""))
        }

        static func post(_ server: ServerProcess, token: String, body: [[String: Any]]) async throws -> [[String: Any]] {
            let reply = try await HTTP.post(
                server.baseURL + "/api/v1/channels/senate/events", body: try JSONSerialization.data(withJSONObject: body), headers: HTTP.bearer(token)
            )
            try #require(reply.status == 201, "\(reply.text)")
            return try #require(try JSONSerialization.jsonObject(with: reply.body) as? [[String: Any]])
        }
    }
}

extension EndToEnd.RelayEndToEnd {
    @Test("`senate-live publish` sends the sample sitting; state and history show it, Thai intact")
    func publishSampleSitting() async throws {
        let server = try ServerProcess(environment: Self.environment())
        defer { server.stop() }
        let process = Process()
        process.executableURL = ServerProcess.binary
        process.arguments = ["publish", "--channel", "senate", "--url", server.baseURL, "--token", try Self.token(), "--fast", "Samples/sitting.jsonl"]
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "publish failed: \(message)")

        let lines = try String(contentsOfFile: "Samples/sitting.jsonl", encoding: .utf8).split(separator: "\n").filter { !$0.isEmpty }
        let history = try await HTTP.get(server.baseURL + "/api/v1/channels/senate/events?since=0&limit=1000")
        let body = try #require(try JSONSerialization.jsonObject(with: history.body) as? [String: Any])
        let events = try #require(body["events"] as? [[String: Any]])
        #expect(events.count == lines.count)
        #expect(events.compactMap { $0["seq"] as? Int } == Array(1...lines.count))
        #expect(events.first?["type"] as? String == "sitting.started")
        #expect(events.last?["type"] as? String == "sitting.ended")
        #expect(history.text.contains("งบประมาณ"))

        let state = try await HTTP.get(server.baseURL + "/api/v1/channels/senate/state").text
        #expect(state.contains("\"status\":\"ended\""))
        #expect(state.contains("\"result\":\"passed\""))
        #expect(state.contains("\"records\":["))
    }
}
