import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket
import Relay

/// A WebSocket subscription to one channel that the hub writes to directly: the event's shared, already
/// framed bytes go into the connection's NIO channel, with no task wake-up per subscriber. The channel's
/// outbound buffer is the subscriber's bounded queue: when it passes its high watermark the client is not
/// reading, and the subscription reports an overflow (the session closes it with 4008).
///
/// While the subscriber is being brought up to date (snapshot or replay), live events are held back and
/// written after it, skipping what the replay already sent: no gap, no duplicate, in order.
final class DirectSubscriber: HubSubscriber, @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `lock`; NIO's `Channel` is thread-safe.
    private enum Mode {
        case catchingUp(held: [EncodedEvent])
        case live(lastSent: Int64)
        case closed
    }

    let channelName: String
    private let connection: any Channel
    private let lock = NIOLock()
    private var mode = Mode.catchingUp(held: [])
    private let heldLimit: Int
    private let onOverflow: @Sendable () -> Void

    init(channelName: String, connection: any Channel, heldLimit: Int, onOverflow: @escaping @Sendable () -> Void) {
        self.channelName = channelName
        self.connection = connection
        self.heldLimit = heldLimit
        self.onOverflow = onOverflow
    }

    func deliver(_ event: EncodedEvent) -> Bool {
        let accepted: Bool = lock.withLock {
            switch mode {
            case .closed:
                return false
            case .catchingUp(var held):
                guard held.count < heldLimit else { mode = .closed; return false }
                held.append(event)
                mode = .catchingUp(held: held)
                return true
            case .live(let lastSent):
                guard event.seq > lastSent else { return true }
                guard connection.isWritable else { mode = .closed; return false }
                send(event.webSocketText)
                mode = .live(lastSent: event.seq)
                return true
            }
        }
        if !accepted { overflowed() }
        return accepted
    }

    /// Writes a catch-up message (snapshot, gap, replayed event) ahead of anything live.
    func sendCatchUp(_ bytes: ByteBuffer) {
        lock.withLock { send(bytes) }
    }

    /// Catch-up is done up to `seq`: write what was held back after it, then deliver live.
    func goLive(after seq: Int64) {
        let ok: Bool = lock.withLock {
            guard case .catchingUp(let held) = mode else { return true }
            var last = seq
            for event in held where event.seq > last {
                send(event.webSocketText)
                last = event.seq
            }
            mode = .live(lastSent: last)
            return true
        }
        if !ok { overflowed() }
    }

    /// Stops writing (unsubscribe or connection end).
    func close() {
        lock.withLock { mode = .closed }
    }

    private func overflowed() {
        RelayMetrics.shared.slowSubscriberDropped()
        onOverflow()
    }

    /// Called with `lock` held, so frames of this subscription reach the event loop in order.
    private func send(_ bytes: ByteBuffer) {
        connection.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: bytes), promise: nil)
        RelayMetrics.shared.delivered()
    }
}
