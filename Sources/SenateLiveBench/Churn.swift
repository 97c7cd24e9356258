import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Connects, upgrades to WebSocket and disconnects at a steady rate (half the connections send a close
/// frame first, half just drop the TCP connection), on SwiftNIO, so a small machine can ask a server for
/// ten thousand a second. Prints one JSON line: what was asked, what was done, what failed and why.
struct ChurnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "churn", abstract: "Connect, upgrade and disconnect at a rate.")

    @Option(help: "WebSocket URL of the server, ws://HOST:PORT/ws") var url: String
    @Option(help: "Connections a second.") var rate = 10_000.0
    @Option(help: "Seconds of churn.") var seconds = 3.0
    @Option(help: "Client source addresses, space separated.") var sourceAddrs = ""
    @Option(help: "Most connections open at once (the rest wait: a server that falls behind shows as a lower rate).") var maxInFlight = 4000
    @Option(help: "Event loop threads.") var threads = 1

    func run() throws {
        guard let target = URL(string: url), let host = target.host, let port = target.port else {
            throw ValidationError("--url must look like ws://127.0.0.1:8080/ws")
        }
        let churn = try Churn(host: host, port: port, path: target.path.isEmpty ? "/ws" : target.path,
                              sources: sourceAddrs.split(separator: " ").map(String.init), threads: max(1, threads))
        BenchOutput.line(churn.run(rate: rate, seconds: seconds, maxInFlight: max(1, maxInFlight)))
        churn.shutdown()
    }
}

final class Churn: @unchecked Sendable {
    // @unchecked: the counters are guarded by `lock`; the rest is immutable.
    let group: MultiThreadedEventLoopGroup
    let host: String
    let port: Int
    let sources: [SocketAddress]
    let request: ByteBuffer
    let lock = NIOLock()
    private var inFlight = 0, upgraded = 0, failed = 0
    private var reasons: [String: Int] = [:]

    init(host: String, port: Int, path: String, sources: [String], threads: Int) throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        self.host = host
        self.port = port
        self.sources = try sources.map { try SocketAddress(ipAddress: $0, port: 0) }
        request = ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    }

    func run(rate: Double, seconds: Double, maxInFlight: Int) -> [String: Any] {
        let total = Int(rate * seconds)
        let started = Date()
        var launched = 0
        while launched < total {
            let due = min(total, Int(Date().timeIntervalSince(started) * rate))
            while launched < due, lock.withLock({ inFlight }) < maxInFlight {
                launch(launched)
                launched += 1
            }
            usleep(500)
        }
        let launchSeconds = Date().timeIntervalSince(started)
        let deadline = Date().addingTimeInterval(30)
        while lock.withLock({ inFlight }) > 0, Date() < deadline { usleep(2000) }
        let elapsed = Date().timeIntervalSince(started)
        return lock.withLock {
            ["kind": "churn", "asked": rate, "connections": total, "upgraded": upgraded, "failed": failed, "unfinished": inFlight,
             "seconds": elapsed, "launchSeconds": launchSeconds, "perSecond": Double(upgraded) / elapsed,
             "reasons": reasons.sorted { $0.value > $1.value }.prefix(5).map { [$0.key, $0.value] as [Any] }]
        }
    }

    private func launch(_ index: Int) {
        lock.withLock { inFlight += 1 }
        let clean = index % 2 == 1, request = request
        var bootstrap = ClientBootstrap(group: group)
            .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ChurnHandler(churn: self, request: request, cleanClose: clean))
                }
            }
        if !sources.isEmpty { bootstrap = bootstrap.bind(to: sources[index % sources.count]) }
        bootstrap.connect(host: host, port: port).whenFailure { error in self.settled(failure: "connect: \(type(of: error))") }
    }

    /// One connection is done: upgraded (nil) or failed for `failure`.
    func settled(failure: String?) {
        lock.withLock {
            inFlight -= 1
            if let failure {
                failed += 1
                reasons[failure, default: 0] += 1
            } else {
                upgraded += 1
            }
        }
    }

    func shutdown() {
        try? group.syncShutdownGracefully()
    }
}

/// Sends the upgrade request, reads the answer's head, then closes (after a close frame when `cleanClose`).
final class ChurnHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let churn: Churn
    let request: ByteBuffer
    let cleanClose: Bool
    private var head = ByteBuffer()
    private var settled = false

    init(churn: Churn, request: ByteBuffer, cleanClose: Bool) {
        (self.churn, self.request, self.cleanClose) = (churn, request, cleanClose)
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !settled else { return }
        var bytes = unwrapInboundIn(data)
        head.writeBuffer(&bytes)
        guard let text = head.getString(at: head.readerIndex, length: head.readableBytes), let end = text.range(of: "\r\n\r\n") else { return }
        let statusLine = text[..<end.lowerBound].split(separator: "\r\n").first.map(String.init) ?? ""
        settle(statusLine.hasPrefix("HTTP/1.1 101 ") ? nil : "answer: \(statusLine.prefix(40))")
        if cleanClose && statusLine.hasPrefix("HTTP/1.1 101 ") {
            // A masked close frame with code 1000.
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: [0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xE8 ^ 2])), promise: nil)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        settle("closed before the answer")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        settle("error: \(type(of: error))")
        context.close(promise: nil)
    }

    private func settle(_ failure: String?) {
        guard !settled else { return }
        settled = true
        churn.settled(failure: failure)
    }
}
