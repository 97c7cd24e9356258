import Synchronization
import Testing
@testable import Relay

@Suite("AsyncLock")
struct AsyncLockTests {
    final class Counters: Sendable {
        let inside = Atomic<Int>(0)
        let overlaps = Atomic<Int>(0)
        let done = Atomic<Int>(0)
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
