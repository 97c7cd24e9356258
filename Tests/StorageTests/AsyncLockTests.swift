import Synchronization
import Testing
@testable import Storage

@Suite("AsyncLock")
struct AsyncLockTests {
    final class Counters: Sendable {
        let inside = Atomic<Int>(0)
        let overlaps = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        let highest = Atomic<Int>(0)
    }

    @Test("bodies never overlap, even across suspension points")
    func mutualExclusion() async {
        let lock = AsyncLock()
        let counters = Counters()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    await lock.withLock {
                        if counters.inside.add(1, ordering: .relaxed).newValue > 1 { counters.overlaps.add(1, ordering: .relaxed) }
                        try? await Task.sleep(for: .milliseconds(1))
                        counters.inside.subtract(1, ordering: .relaxed)
                        counters.done.add(1, ordering: .relaxed)
                    }
                }
            }
        }
        #expect(counters.overlaps.load(ordering: .relaxed) == 0)
        #expect(counters.done.load(ordering: .relaxed) == 50)
    }
}

@Suite("AsyncLock with permits")
struct AsyncLockPermitTests {
    @Test("at most `permits` bodies run at once, and every caller gets its turn")
    func admission() async {
        let lock = AsyncLock(permits: 3)
        let counters = AsyncLockTests.Counters()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    await lock.withLock {
                        let now = counters.inside.add(1, ordering: .relaxed).newValue
                        counters.highest.max(now, ordering: .relaxed)
                        try? await Task.sleep(for: .milliseconds(2))
                        counters.inside.subtract(1, ordering: .relaxed)
                        counters.done.add(1, ordering: .relaxed)
                    }
                }
            }
        }
        #expect(counters.highest.load(ordering: .relaxed) == 3)
        #expect(counters.done.load(ordering: .relaxed) == 40)
    }
}
