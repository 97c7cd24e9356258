@testable import Storage
import Testing

@Suite("Doorbell")
struct DoorbellTests {
    @Test("a ring before the wait is kept (once); rings while nobody waits collapse into one")
    func ringBeforeWait() async {
        let bell = Doorbell()
        bell.ring()
        bell.ring()
        let start = ContinuousClock.now
        // Far from the timeout, not "fast": every suite starts at once on the two pool threads (CI saw 1.1 s).
        await bell.wait(timeout: .seconds(60))
        #expect(ContinuousClock.now - start < .seconds(30))
        let second = ContinuousClock.now
        await bell.wait(timeout: .milliseconds(300))
        #expect(ContinuousClock.now - second >= .milliseconds(250), "the two rings counted once")
    }

    @Test("a ring wakes a waiter at once; without one the wait ends at its timeout")
    func wakesAndTimesOut() async {
        let bell = Doorbell()
        let start = ContinuousClock.now
        async let waited: Void = bell.wait(timeout: .seconds(60))
        try? await Task.sleep(for: .milliseconds(100))
        bell.ring()
        await waited
        #expect(ContinuousClock.now - start < .seconds(30))
        let quiet = ContinuousClock.now
        await bell.wait(timeout: .milliseconds(200))
        #expect(ContinuousClock.now - quiet >= .milliseconds(150) && ContinuousClock.now - quiet < .seconds(30))
    }

    @Test("cancelling a waiter ends its wait; a thousand ring/wait races never lose a ring")
    func cancelAndRaces() async {
        let bell = Doorbell()
        let task = Task { await bell.wait() }
        try? await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await task.value
        for _ in 0..<1_000 {
            async let waited: Void = bell.wait()
            bell.ring()
            await waited
        }
    }

    @Test("one ring wakes every waiter")
    func wakesAll() async {
        let bell = Doorbell()
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<5 { group.addTask { await bell.wait(timeout: .seconds(60)) } }
            while bell.waiterCount < 5 { try? await Task.sleep(for: .milliseconds(10)) }
            bell.ring()
        }
        #expect(ContinuousClock.now - start < .seconds(30))
    }
}
