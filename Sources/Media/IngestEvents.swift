import Foundation

/// The ingest's output stream with backpressure: the ingest thread may run at most `limit` events ahead of
/// the consumer. A file packaged as fast as it reads then stays within a few megabytes of memory instead of
/// racing ahead of the store and the disk.
public struct IngestEvents: AsyncSequence, Sendable {
    public typealias Element = MediaEvent

    let stream: AsyncStream<MediaEvent>
    let gate: CreditGate

    public struct AsyncIterator: AsyncIteratorProtocol {
        var inner: AsyncStream<MediaEvent>.AsyncIterator
        let gate: CreditGate

        public mutating func next() async -> MediaEvent? {
            let event = await inner.next()
            if event != nil { gate.release() }
            return event
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(inner: stream.makeAsyncIterator(), gate: gate)
    }
}

/// A counting gate that blocks the producing thread (never a task) while the consumer is behind.
final class CreditGate: @unchecked Sendable {
    // @unchecked: every access to `available` holds `condition`'s lock.
    private let condition = NSCondition()
    private var available: Int

    init(limit: Int) {
        available = limit
    }

    /// Takes a credit, waiting for one while `shouldWait()` holds; returns false if it gave up waiting.
    func acquire(while shouldWait: () -> Bool) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while available <= 0 {
            guard shouldWait() else { return false }
            _ = condition.wait(until: Date().addingTimeInterval(0.1))
        }
        available -= 1
        return true
    }

    func release() {
        condition.lock()
        available += 1
        condition.signal()
        condition.unlock()
    }
}
