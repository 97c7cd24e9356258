import Synchronization

/// One subscriber's outgoing queue. `offer` never waits: when the queue is full the subscriber has fallen
/// behind, the queue is finished and marked overflowed, and the connection is closed (4008) so the client
/// resumes with `since`. One slow client therefore never delays the others.
public final class BoundedQueue<Element: Sendable>: Sendable {
    public let stream: AsyncStream<Element>
    private let continuation: AsyncStream<Element>.Continuation
    private let overflowed = Atomic<Bool>(false)

    public init(limit: Int) {
        (stream, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(max(1, limit)))
    }

    /// Enqueues without waiting. Returns false when the queue overflowed or was finished.
    @discardableResult
    public func offer(_ element: Element) -> Bool {
        switch continuation.yield(element) {
        case .enqueued: return true
        case .dropped:
            overflowed.store(true, ordering: .relaxed)
            continuation.finish()
            return false
        case .terminated: return false
        @unknown default: return false
        }
    }

    public var hasOverflowed: Bool { overflowed.load(ordering: .relaxed) }

    /// Ends the queue as if it had overflowed: the consumer closes its client, which resumes with `since`.
    public func abandon() {
        overflowed.store(true, ordering: .relaxed)
        continuation.finish()
    }

    public func finish() { continuation.finish() }
}
