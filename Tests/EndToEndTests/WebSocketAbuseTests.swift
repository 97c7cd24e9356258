import Foundation
import Testing

extension EndToEnd {
    /// The relay's own WebSocket pipeline (`relay.webSocketServer: nio`) against clients that abuse it while
    /// ten healthy subscribers read a stream of events (`Scripts/ws_abuse_check.py`; raw sockets, asyncio and
    /// Python `websockets`): memory stays bounded, descriptors come back, and the others keep receiving.
    @Suite("WebSocket abuse")
    struct WebSocketAbuse {
        static func run(_ scenario: String, _ arguments: [String], environment: [String: String] = [:]) throws -> [String: Any] {
            let server = try ServerProcess(environment: RelayEndToEnd.environment(environment))
            defer { server.stop() }
            let output = try Hardening.run("ws_abuse_check.py", scenario, server, [try RelayEndToEnd.token(), "\(server.pid)"] + arguments)
            let summary = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] ?? [:]
            print("ws_abuse_check \(scenario): \(output)")
            return summary
        }

        @Test("twenty clients that each send a 16 MB frame are closed with 1009 at its header; memory does not grow by the frames")
        func sixteenMegabyteFrames() throws {
            let summary = try Self.run("bigframes", ["20"])
            #expect(summary["closeCodes"] as? [Int] == [1009])
        }

        @Test("300 upgrade requests trickled a byte a second are answered 408 at the header timeout and closed; descriptors come back")
        func slowLorisUpgrades() throws {
            let summary = try Self.run("slowupgrade", ["300", "3"], environment: ["SENATE_LIVE_HEADER_TIMEOUT": "3"])
            #expect(summary["answers"] as? [String] == ["HTTP/1.1 408"])
        }

        @Test("3,000 connections opened, upgraded and dropped at the debug build's pace (1,000 a second asked; CHURN_RATE): every one upgraded, subscribers and descriptors released")
        func churn() throws {
            let bench = ServerProcess.binary.deletingLastPathComponent().appendingPathComponent("senate-live-bench").path
            let rate = ProcessInfo.processInfo.environment["CHURN_RATE"] ?? "\(Self.churnRate)"
            let summary = try Self.run("churn", [rate, "3", bench])
            #expect((summary["upgraded"] as? Int ?? 0) >= Int(Double(rate)! * 3))
        }

        /// What the debug build the tests run keeps up with on this 2-core machine, its client included
        /// (~1,000 a second); the release build at 10,000 a second is `Benchmarks/churn.sh`'s.
        static let churnRate = 1_000

        @Test("200 subscribers that never read are closed with 4008; five healthy ones get every event; memory stays within their buffers")
        func stalledReaders() throws {
            let server = try ServerProcess(environment: RelayEndToEnd.environment(["SENATE_LIVE_SUBSCRIBER_BUFFER_BYTES": "262144"]))
            defer { server.stop() }
            let output = try Hardening.run("hardening_check.py", "stalled", server, [try RelayEndToEnd.token(), "\(server.pid)", "200"])
            print("hardening_check stalled: \(output)")
            let summary = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] ?? [:]
            #expect((summary["dropped4008"] as? Int ?? 0) >= 200)
        }
    }
}
