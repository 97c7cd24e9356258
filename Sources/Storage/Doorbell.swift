import Synchronization

/// "There is work": rung from anywhere (no task, no actor hop); every waiter parked wakes. A ring while
/// nobody waits is kept for the next wait (one: rings collapse), so a single consumer that checks its
/// work before waiting never misses one. The one mechanism behind every "look again" of the log
/// followers, the senders and the recorder (whose waiters re-check their condition after each wake).
public final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var lastId: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Waiters parked now (for tests).
    var waiterCount: Int { state.withLock { $0.waiters.count } }

    public func ring() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.waiters.isEmpty else {
                state.rung = true
                return []
            }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when rung (a ring since the last wait counts), after `timeout` (nil: none), or when the
    /// task is cancelled, whichever comes first.
    public func wait(timeout: Duration? = nil) async {
        guard let timeout else { return await waitForRing() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.waitForRing() }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForRing() async {
        let id = state.withLock { state in
            state.lastId += 1
            return state.lastId
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.rung {
                        state.rung = false
                        return true
                    }
                    // Cancelled before the waiter was stored: the handler found nothing to wake.
                    if Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
