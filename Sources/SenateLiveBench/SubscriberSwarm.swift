import CompressNIO
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// N WebSocket subscribers on a few SwiftNIO event loops, with what each one received.
final class SubscriberSwarm: @unchecked Sendable {
    // @unchecked: `records` and the launch counters are guarded by `lock`; the rest is immutable.
    let group: MultiThreadedEventLoopGroup
    let host: String
    let port: Int
    let path: String
    let sourceAddresses: [SocketAddress]
    let deflate: Bool
    let subscribe: ByteBuffer
    /// The subscribe message deflated (RFC 7692, no context takeover: the same bytes suit every connection).
    let subscribeDeflated: ByteBuffer
    let lock = NIOLock()
    private(set) var records: [SubscriberRecord] = []
    private var launched = 0, finished = 0, total = 0, concurrency = 0
    private let allFinished = DispatchSemaphore(value: 0)

    init(host: String, port: Int, path: String, channel: String, sourceAddresses: [String], deflate: Bool, threads: Int) throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        self.host = host
        self.port = port
        self.path = path
        self.sourceAddresses = try sourceAddresses.map { try SocketAddress(ipAddress: $0, port: 0) }
        self.deflate = deflate
        subscribe = ByteBuffer(string: #"{"op":"subscribe","channel":"\#(channel)"}"#)
        var plain = subscribe
        let compressor = try ZlibCompressor(algorithm: .deflate, configuration: .init(windowSize: 10, compressionLevel: 6, memoryLevel: 8))
        let compressed = try plain.compressStream(with: compressor, flush: .sync, allocator: ByteBufferAllocator())
        subscribeDeflated = compressed.getSlice(at: compressed.readerIndex, length: compressed.readableBytes - 4) ?? compressed
    }

    /// Opens `count` subscribers, `concurrency` handshakes at a time, and waits until each has its
    /// snapshot or has failed. Returns the `ready` report.
    func connect(count: Int, concurrency: Int) throws -> [String: Any] {
        let started = Date()
        lock.withLock {
            total = count
            self.concurrency = concurrency
            records = (0..<count).map { _ in SubscriberRecord() }
        }
        for _ in 0..<min(concurrency, count) { launchNext() }
        if count > 0 { allFinished.wait() }
        return lock.withLock {
            let failed = records.filter { $0.snapshotSeq == nil }
            var errors: [String: Int] = [:]
            for record in failed { errors[record.error ?? "closed \(record.closeCode ?? 1006) before the snapshot", default: 0] += 1 }
            return [
                "subscribed": count - failed.count, "failed": failed.count,
                "errors": errors.sorted { $0.value > $1.value }.prefix(5).map { [$0.key, $0.value] as [Any] },
                "connect_seconds": Date().timeIntervalSince(started),
            ]
        }
    }

    /// A subscriber got its snapshot or failed: start the next handshake.
    func settled(_ record: SubscriberRecord) {
        let done: Bool = lock.withLock {
            guard !record.settled else { return false }
            record.settled = true
            finished += 1
            return finished == total
        }
        if done { allFinished.signal() } else { launchNext() }
    }

    private func launchNext() {
        let next: (Int, SubscriberRecord)? = lock.withLock {
            guard launched < total else { return nil }
            launched += 1
            return (launched - 1, records[launched - 1])
        }
        guard let (index, record) = next else { return }
        var bootstrap = ClientBootstrap(group: group)
            .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .connectTimeout(.seconds(30))
            .channelInitializer { channel in self.initialize(channel, record: record) }
        if !sourceAddresses.isEmpty { bootstrap = bootstrap.bind(to: sourceAddresses[index % sourceAddresses.count]) }
        bootstrap.connect(host: host, port: port).whenFailure { error in
            self.lock.withLock { record.error = "connect: \(error)" }
            self.settled(record)
        }
    }

    private func initialize(_ channel: any Channel, record: SubscriberRecord) -> EventLoopFuture<Void> {
        let request = UpgradeRequestHandler(host: "\(host):\(port)", path: path, deflate: deflate, swarm: self, record: record)
        let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 1 << 20) { channel, response in
            let negotiated = response.headers["Sec-WebSocket-Extensions"].contains { $0.contains("permessage-deflate") }
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(SubscriberHandler(swarm: self, record: record, deflated: negotiated))
            }
        }
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHTTPClientHandlers(
                leftOverBytesStrategy: .forwardBytes,
                withClientUpgrade: (upgraders: [upgrader], completionHandler: { context in
                    context.pipeline.removeHandler(name: "upgrade-request", promise: nil)
                })
            )
            try channel.pipeline.syncOperations.addHandler(request, name: "upgrade-request")
        }
    }

    /// Waits until every subscriber has the last published seq (or `grace` runs out), then reports.
    func finish(published: [Int64], grace: Double) -> [String: Any] {
        let last = published.max() ?? -1
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline {
            let waiting = lock.withLock { records.contains { !$0.closed && $0.snapshotSeq != nil && $0.last < last } }
            if !waiting { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return lock.withLock { SubscriberRecord.report(records, published: Set(published)) }
    }

    func shutdown() {
        try? group.syncShutdownGracefully()
    }
}

/// Sends the upgrade request once connected; a response that is not the upgrade is a failed subscriber.
final class UpgradeRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    let host: String, path: String, deflate: Bool
    let swarm: SubscriberSwarm
    let record: SubscriberRecord

    init(host: String, path: String, deflate: Bool, swarm: SubscriberSwarm, record: SubscriberRecord) {
        (self.host, self.path, self.deflate, self.swarm, self.record) = (host, path, deflate, swarm, record)
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders([("Host", host), ("Content-Length", "0")])
        // What Chromium offers.
        if deflate { headers.add(name: "Sec-WebSocket-Extensions", value: "permessage-deflate; client_max_window_bits") }
        context.write(wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            swarm.lock.withLock { record.error = "handshake: HTTP \(head.status.code)" }
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        swarm.lock.withLock { record.closed = true }
        swarm.settled(record)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        swarm.lock.withLock { record.error = "handshake: \(error)" }
        context.close(promise: nil)
    }
}
