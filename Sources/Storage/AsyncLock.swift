import Synchronization

/// First-come, first-served admission across suspension points: at most `permits` bodies run at once
/// (one by default: mutual exclusion; actors are re-entrant, an `await` inside an actor method lets
/// another call in). Waiters hold no thread: they are continuations in a queue.
public final class AsyncLock: Sendable {
    private struct State {
        var free: Int
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    /// A lock that lets `permits` (at least 1) callers in at once.
    public init(permits: Int = 1) {
        state = Mutex(State(free: max(1, permits)))
    }

    /// Runs `body`, in the caller's isolation, once it is its turn.
    public func withLock<T>(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        let acquired = state.withLock { state -> Bool in
            guard state.free > 0 else { return false }
            state.free -= 1
            return true
        }
        if acquired { return }
        await withCheckedContinuation { continuation in
            let granted = state.withLock { state -> Bool in
                // A holder may have released between the two locks above.
                if state.free > 0 {
                    state.free -= 1
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty {
                state.free += 1
                return nil
            }
            return state.waiting.removeFirst()  // the permit passes to the next caller
        }
        next?.resume()
    }
}
