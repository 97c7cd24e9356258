import Foundation
import Testing

extension EndToEnd {
    /// Two nodes on one PostgreSQL event log (a throwaway cluster from Debian's `postgresql` package).
    @Suite("Several nodes on PostgreSQL")
    struct MultiNodeEndToEnd {
        @Test("subscribers on two nodes see the same events in order from publishers on both; lost notifications, frozen LISTEN connections and a killed node lose nothing")
        func twoNodes() async throws {
            let database = try PostgresCluster()
            defer { database.stop() }
            // A minute between looks at the table: what the script sees within its 20 s comes from
            // LISTEN/NOTIFY and the resync after a reconnect, not from polling.
            let shared = RelayEndToEnd.environment([
                "SENATE_LIVE_STORE": database.url, "SENATE_LIVE_CHANNELS": "senate", "SENATE_LIVE_SHARED_LOG_POLL": "60",
            ])
            let nodeA = try ServerProcess(environment: shared.merging(["SENATE_LIVE_ROLES": "ingest,relay"]) { _, new in new })
            defer { nodeA.stop() }
            let nodeB = try ServerProcess(environment: shared.merging(["SENATE_LIVE_ROLES": "relay"]) { _, new in new })
            defer { nodeB.stop() }
            // A second ingest node on the same store is refused: it would deliver every webhook again.
            do {
                let second = try ServerProcess(environment: shared.merging(["SENATE_LIVE_ROLES": "ingest"]) { _, new in new })
                second.stop()
                Issue.record("a second ingest node started")
            } catch let error as FixtureError {
                #expect(error.message.contains("another node already runs ingest"), "\(error.message.suffix(600))")
            }

            // Both report the shared store; B, a relay node, does not serve the ingest side.
            for node in [nodeA, nodeB] {
                let ready = try await HTTP.get("\(node.baseURL)/readyz")
                let body = try #require(try JSONSerialization.jsonObject(with: ready.body) as? [String: Any])
                #expect(ready.status == 200 && body["store"] as? String == "ok" && body["notifier"] as? String == "listening", "\(body)")
            }
            #expect(try await HTTP.get("\(nodeB.baseURL)/live/senate/master.m3u8").status == 404)
            #expect(try await HTTP.get("\(nodeA.baseURL)/api/v1/channels/senate/state").status == 200)

            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/multinode_check.py")
            let result = try Tool.run("python3", [
                script.path, nodeA.baseURL, nodeB.baseURL, try RelayEndToEnd.token(),
                "\(nodeB.process.processIdentifier)", "\(database.port)",
            ], timeout: 180)
            print("multinode_check: \(result.stdout)")
            #expect(result.succeeded, "\(result.stderr.suffix(3000))\nnode A: \(nodeA.log.suffix(1500))\nnode B: \(nodeB.log.suffix(1500))")

            // The survivor's history is whole: seqs 1…N with no gap, whoever wrote them.
            let page = try await HTTP.get("\(nodeA.baseURL)/api/v1/channels/senate/events?since=0&limit=1000")
            let events = try #require((try JSONSerialization.jsonObject(with: page.body) as? [String: Any])?["events"] as? [[String: Any]])
            let seqs = events.compactMap { ($0["seq"] as? NSNumber)?.int64Value }
            #expect(seqs == Array(1...Int64(seqs.count)) && seqs.count == 175, "\(seqs.count) events")
        }

        @Test("the database goes away: publishes answer 503 and nothing is lost; it comes back: the retried id is stored once and publishing resumes")
        func outage() async throws {
            let database = try PostgresCluster()
            defer { database.stop() }
            let node = try ServerProcess(environment: RelayEndToEnd.environment([
                "SENATE_LIVE_STORE": database.url, "SENATE_LIVE_CHANNELS": "senate", "SENATE_LIVE_ROLES": "ingest,relay",
            ]))
            defer { node.stop() }
            let token = try RelayEndToEnd.token()
            func publish(_ text: String, id: String) async throws -> HTTP.Reply {
                try await HTTP.post(
                    "\(node.baseURL)/api/v1/channels/senate/events", body: Data(#"{"id":"\#(id)","type":"notice","data":{"text":"\#(text)"}}"#.utf8),
                    headers: HTTP.bearer(token).merging(["Content-Type": "application/json"]) { _, new in new }
                )
            }
            #expect(try await publish("before", id: "n-1").status == 201)

            database.pause()
            let refused = try await publish("during", id: "n-2")
            #expect(refused.status == 503 && String(decoding: refused.body, as: UTF8.self).contains("store_unavailable"), "\(refused.status)")
            let ready = try await HTTP.get("\(node.baseURL)/readyz")
            #expect(ready.status == 503, "\(String(decoding: ready.body, as: UTF8.self))")
            let history = try await HTTP.get("\(node.baseURL)/api/v1/channels/senate/events?since=0")
            #expect(history.status == 503 && history.text.contains("store_unavailable"), "\(history.status) \(history.text.prefix(300))")

            try database.start()
            // The publisher retries with the same id: stored once, whatever the first attempt did.
            var stored: HTTP.Reply?
            for _ in 0..<40 {
                stored = try await publish("during", id: "n-2")
                if stored?.status == 201 || stored?.status == 200 { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(stored?.status == 201 || stored?.status == 200)
            #expect(try await publish("after", id: "n-3").status == 201)
            let page = try await HTTP.get("\(node.baseURL)/api/v1/channels/senate/events?since=0")
            let events = try #require((try JSONSerialization.jsonObject(with: page.body) as? [String: Any])?["events"] as? [[String: Any]])
            #expect(events.compactMap { $0["id"] as? String } == ["n-1", "n-2", "n-3"])
            #expect(events.compactMap { ($0["seq"] as? NSNumber)?.intValue } == [1, 2, 3])
            var readyAgain = false
            for _ in 0..<40 where !readyAgain {
                readyAgain = try await HTTP.get("\(node.baseURL)/readyz").status == 200
                if !readyAgain { try await Task.sleep(for: .milliseconds(250)) }
            }
            #expect(readyAgain)
        }

        @Test("a bad store URL or an unreachable database stops the start with a clear error")
        func badStore() throws {
            let unreachable = "postgres://postgres@127.0.0.1:\(try Spawn.freePort())/postgres?sslmode=disable"
            let cases = [
                (["SENATE_LIVE_STORE": "mysql://x@127.0.0.1/db"], "relay.store"),
                (["SENATE_LIVE_STORE": unreachable, "SENATE_LIVE_ROLES": "relay"], "cannot reach PostgreSQL"),
                // A shared store without roles: every node would deliver every webhook.
                (["SENATE_LIVE_STORE": unreachable], "set roles on every node"),
            ]
            for (settings, expected) in cases {
                do {
                    let server = try ServerProcess(environment: RelayEndToEnd.environment(settings))
                    server.stop()
                    Issue.record("started with \(settings)")
                } catch let error as FixtureError {
                    #expect(error.message.contains(expected), "\(error.message.suffix(800))")
                }
            }
        }
    }
}
