import Foundation

/// A bounded first-in first-out queue between two threads (never tasks). The producer never waits unless
/// asked to (`waitForRoom`: a file packaged as fast as it reads); the consumer blocks until work comes.
final class WorkQueue<Work>: @unchecked Sendable {
    // @unchecked: every access to `items` and `closed` holds `condition`'s lock.
    private let condition = NSCondition()
    private var items: [Work] = []
    private var head = 0
    private var closed = false
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Adds `work`; false when the queue is full (and `waitForRoom` is false) or closed.
    func push(_ work: Work, waitForRoom: Bool = false) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while waitForRoom && !closed && items.count - head >= limit { condition.wait() }
        guard !closed, items.count - head < limit else { return false }
        items.append(work)
        condition.broadcast()
        return true
    }

    /// The next work item, waiting for one; nil once closed and empty.
    func pop() -> Work? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count && !closed { condition.wait() }
        guard head < items.count else { return nil }
        let work = items[head]
        head += 1
        if head > 256 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return work
    }

    /// Items waiting.
    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count - head
    }

    /// No more pushes; `pop` returns what is left, then nil.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
