import Synchronization
import Testing
@testable import Relay

@Suite("AsyncLock")
struct AsyncLockTests {
    @Test("bodies never overlap, even across suspension points")
    func mutualExclusion() async {
        let lock = AsyncLock()
        let inside = Atomic<Int>(0)
        let overlaps = Atomic<Int>(0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    await lock.withLock {
                        if inside.add(1, ordering: .relaxed).newValue > 1 { overlaps.add(1, ordering: .relaxed) }
                        try? await Task.sleep(for: .milliseconds(1))
                        inside.subtract(1, ordering: .relaxed)
                    }
                }
            }
        }
        #expect(overlaps.load(ordering: .relaxed) == 0)
        #expect(inside.load(ordering: .relaxed) == 0)
    }
}
