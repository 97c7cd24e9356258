import Foundation
import NIOCore
import NIOWebSocket

/// What one subscriber received. Guarded by the swarm's lock.
final class SubscriberRecord: @unchecked Sendable {  // @unchecked: only touched under the swarm's lock
    var snapshotSeq: Int64?
    var last: Int64 = -1
    var seen = Set<Int64>()
    var duplicates = 0, outOfOrder = 0, other = 0
    var latencies: [Double] = []
    var seqs: [Int64] = []
    var firstReceive: Double?, lastReceive: Double?
    var otherSample: String?
    var closed = false
    var closeCode: Int?, closeReason: String?
    var error: String?
    var settled = false

    /// The `result` fields fanout.py expects, over all subscribers.
    static func report(_ records: [SubscriberRecord], published: Set<Int64>) -> [String: Any] {
        var missing = 0, subscribersMissing = 0, extra = 0, duplicates = 0, outOfOrder = 0, other = 0
        var closes: [String: Int] = [:]
        var latencies: [Double] = [], seqs: [Int64] = [], samples: [String] = []
        var first: Double?, last: Double?
        for record in records {
            other += record.other
            if let sample = record.otherSample, samples.count < 5 { samples.append(sample) }
            guard let snapshot = record.snapshotSeq else { continue }
            let expected = published.filter { $0 > snapshot }
            let missed = expected.subtracting(record.seen).count
            missing += missed
            subscribersMissing += missed > 0 ? 1 : 0
            extra += record.seen.subtracting(published).count
            duplicates += record.duplicates
            outOfOrder += record.outOfOrder
            latencies += record.latencies
            seqs += record.seqs
            if let time = record.firstReceive { first = min(first ?? time, time) }
            if let time = record.lastReceive { last = max(last ?? time, time) }
            if record.closed {
                closes["\(record.closeCode ?? 1006)" + (record.closeReason.map { " \($0)" } ?? ""), default: 0] += 1
            }
        }
        return [
            "latencies": latencies.withUnsafeBytes { Data($0) }.base64EncodedString(),
            "seqs": seqs.withUnsafeBytes { Data($0) }.base64EncodedString(),
            "missing": missing, "subs_missing": subscribersMissing, "extra": extra, "dups": duplicates, "ooo": outOfOrder,
            "closes": closes, "other": other, "other_sample": samples,
            "first_recv": first ?? NSNull(), "last_recv": last ?? NSNull(),
        ]
    }
}

/// A subscriber after the upgrade: subscribes, answers pings, and records every event's seq and latency
/// (receive time − the send time the publisher put in the notice text as `t=<unix seconds>`).
final class SubscriberHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    private let swarm: SubscriberSwarm
    private let record: SubscriberRecord
    private let deflated: Bool
    private var fragments: ByteBuffer?
    private var fragmentsCompressed = false

    init(swarm: SubscriberSwarm, record: SubscriberRecord, deflated: Bool) {
        (self.swarm, self.record, self.deflated) = (swarm, record, deflated)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let message = deflated ? swarm.subscribeDeflated : swarm.subscribe
        let frame = WebSocketFrame(fin: true, rsv1: deflated, opcode: .text, maskKey: .random(), data: message)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = Date().timeIntervalSince1970
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            if frame.fin {
                received(frame.unmaskedData, compressed: frame.rsv1, at: now)
            } else {
                fragments = frame.unmaskedData
                fragmentsCompressed = frame.rsv1
            }
        case .continuation:
            guard var buffer = fragments else { return }
            var more = frame.unmaskedData
            buffer.writeBuffer(&more)
            fragments = buffer
            if frame.fin {
                fragments = nil
                received(buffer, compressed: fragmentsCompressed, at: now)
            }
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            var data = frame.unmaskedData
            let code = data.readInteger(as: UInt16.self).map(Int.init)
            let reason = data.readString(length: data.readableBytes)
            swarm.lock.withLock {
                record.closeCode = code
                record.closeReason = reason?.isEmpty == false ? reason : nil
            }
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        swarm.lock.withLock { record.closed = true }
        swarm.settled(record)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        swarm.lock.withLock { record.error = "\(error)" }
        context.close(promise: nil)
    }

    private func received(_ message: ByteBuffer, compressed: Bool, at now: Double) {
        let bytes = message.readableBytesView
        var becameReady = false
        swarm.lock.withLock {
            // The relay sends events and snapshots uncompressed; anything else is counted, not parsed.
            if !compressed, bytes.starts(with: Self.eventPrefix), let seq = Self.number(after: Self.seqKey, in: bytes) {
                if let sent = Self.decimal(after: Self.timeKey, in: bytes) {
                    record.latencies.append((now - sent) * 1000)
                    record.seqs.append(seq)
                }
                if !record.seen.insert(seq).inserted { record.duplicates += 1 }
                if seq < record.last { record.outOfOrder += 1 } else { record.last = seq }
                record.firstReceive = record.firstReceive ?? now
                record.lastReceive = now
            } else if !compressed, Self.contains(Self.snapshotKey, in: bytes), let seq = Self.number(after: Self.seqKey, in: bytes) {
                if record.snapshotSeq == nil { becameReady = true }
                record.snapshotSeq = seq
                record.last = max(record.last, seq)
            } else {
                record.other += 1
                if record.otherSample == nil { record.otherSample = String(decoding: bytes.prefix(200), as: UTF8.self) }
            }
        }
        if becameReady { swarm.settled(record) }
    }

    private static let eventPrefix = Array(#"{"op":"event""#.utf8)
    private static let snapshotKey = Array(#""op":"snapshot""#.utf8)
    private static let seqKey = Array(#""seq":"#.utf8)
    private static let timeKey = Array(#""text":"t="#.utf8)

    private static func position(of key: [UInt8], in bytes: ByteBufferView) -> ByteBufferView.Index? {
        guard bytes.count >= key.count else { return nil }
        var index = bytes.startIndex
        while index <= bytes.endIndex - key.count {
            if bytes[index] == key[0], bytes[index..<(index + key.count)].elementsEqual(key) { return index + key.count }
            index += 1
        }
        return nil
    }

    private static func contains(_ key: [UInt8], in bytes: ByteBufferView) -> Bool { position(of: key, in: bytes) != nil }

    /// The integer right after `key`.
    private static func number(after key: [UInt8], in bytes: ByteBufferView) -> Int64? {
        guard var index = position(of: key, in: bytes) else { return nil }
        var value: Int64 = 0, digits = 0
        while index < bytes.endIndex, bytes[index] >= 48, bytes[index] <= 57 {
            value = value * 10 + Int64(bytes[index] - 48)
            index += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    /// The decimal number (`1234.5678`) right after `key`.
    private static func decimal(after key: [UInt8], in bytes: ByteBufferView) -> Double? {
        guard let start = position(of: key, in: bytes) else { return nil }
        var end = start
        while end < bytes.endIndex, bytes[end] == 46 || (bytes[end] >= 48 && bytes[end] <= 57) { end += 1 }
        return Double(String(decoding: bytes[start..<end], as: UTF8.self))
    }
}
