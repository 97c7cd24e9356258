import ArgumentParser
import Foundation

/// `senate-live-bench`: load generators for the benchmarks under `Benchmarks/` (`churn` also drives the
/// WebSocket churn test, which needs many more connections a second than a Python client makes).
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "senate-live-bench",
        abstract: "Load generators for Benchmarks/ (the scripts there drive them and print the figures).",
        subcommands: [SubscribersCommand.self, ChurnCommand.self]
    )
}

/// Opens many WebSocket subscribers in one process on SwiftNIO (a few microseconds of CPU per message,
/// against ~25 for the Python client), so that on a small machine the benchmark measures the server more
/// than its clients. Speaks JSON lines with `Benchmarks/fanout.py`: prints `ready` once every subscriber
/// has its snapshot, reads `stop` (the published seqs) on stdin, prints `result` (raw latencies and seqs
/// as base64 float64/int64 arrays, plus the exactly-once and ordering counts).
struct SubscribersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "subscribers", abstract: "Open N subscribers and measure deliveries.")

    @Option(help: "WebSocket URL of the server, ws://HOST:PORT/ws") var url: String
    @Option(help: "Channel to subscribe to.") var channel = "senate"
    @Option(help: "Subscribers to open.") var count = 1000
    @Option(help: "Client source addresses, space separated (one address has ~28k ephemeral ports).") var sourceAddrs = ""
    @Option(help: "deflate: negotiate permessage-deflate and send the subscribe compressed, like a browser; none.") var compression = "deflate"
    @Option(help: "Handshakes in flight.") var connectConcurrency = 200
    @Option(help: "Seconds to wait for the last deliveries after `stop`.") var grace = 15.0
    @Option(help: "Event loop threads.") var threads = 1

    func run() throws {
        guard let target = URL(string: url), let host = target.host, let port = target.port else {
            throw ValidationError("--url must look like ws://127.0.0.1:8080/ws")
        }
        guard ["deflate", "none"].contains(compression) else { throw ValidationError("--compression must be deflate or none") }
        let swarm = try SubscriberSwarm(
            host: host, port: port, path: target.path.isEmpty ? "/ws" : target.path, channel: channel,
            sourceAddresses: sourceAddrs.split(separator: " ").map(String.init), deflate: compression == "deflate",
            threads: max(1, threads)
        )
        let ready = try swarm.connect(count: count, concurrency: max(1, connectConcurrency))
        BenchOutput.line(["kind": "ready", "pid": Int(getpid())].merging(ready) { $1 })
        while let line = readLine() {
            guard let data = line.data(using: .utf8),
                  let message = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  message["kind"] as? String == "stop" else { continue }
            let seqs = (message["seqs"] as? [NSNumber] ?? []).map(\.int64Value)
            BenchOutput.line(["kind": "result"].merging(swarm.finish(published: seqs, grace: grace)) { $1 })
            break
        }
        swarm.shutdown()
    }
}

enum BenchOutput {
    /// One JSON object on one line of stdout.
    static func line(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}
