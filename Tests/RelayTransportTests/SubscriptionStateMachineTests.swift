import Testing
@testable import RelayTransport

@Suite("Subscription: catch-up, then live")
struct SubscriptionStateMachineTests {
    typealias Machine = SubscriptionStateMachine<Int64>

    @Test("events during the catch-up are held, then those after its last seq go out in order, once")
    func catchUpThenLive() {
        var machine = Machine(heldLimit: 10)
        for seq in Int64(5)...8 { #expect(machine.deliver(seq, seq: seq, wanted: true, writable: true) == .hold) }
        // The replay already sent up to 6: 7 and 8 follow it, 5 and 6 are not sent twice.
        #expect(machine.goLive(after: 6) { _ in true } == [7, 8])
        #expect(machine.deliver(8, seq: 8, wanted: true, writable: true) == .skip, "already sent")
        #expect(machine.deliver(9, seq: 9, wanted: true, writable: true) == .write)
        #expect(machine.goLive(after: 20) { _ in true } == [], "live already: nothing held to send")
    }

    @Test("an unfollowed event is skipped but counts as seen; a later one still goes out")
    func followFilter() {
        var machine = Machine(heldLimit: 10)
        _ = machine.deliver(2, seq: 2, wanted: false, writable: true)
        _ = machine.deliver(3, seq: 3, wanted: true, writable: true)
        #expect(machine.goLive(after: 1) { $0 != 2 } == [3])
        #expect(machine.deliver(4, seq: 4, wanted: false, writable: true) == .skip)
        #expect(machine.deliver(4, seq: 4, wanted: true, writable: true) == .skip, "seq 4 was seen")
        #expect(machine.deliver(5, seq: 5, wanted: true, writable: true) == .write)
    }

    @Test("more held than the limit, or a full connection while live, drops the subscriber for good")
    func drops() {
        var catchingUp = Machine(heldLimit: 2)
        #expect(catchingUp.deliver(1, seq: 1, wanted: true, writable: true) == .hold)
        #expect(catchingUp.deliver(2, seq: 2, wanted: true, writable: true) == .hold)
        #expect(catchingUp.deliver(3, seq: 3, wanted: true, writable: true) == .drop)
        #expect(catchingUp.isClosed)
        #expect(catchingUp.goLive(after: 0) { _ in true } == [], "a dropped subscriber never goes live")

        var live = Machine(heldLimit: 2)
        _ = live.goLive(after: 0) { _ in true }
        #expect(live.deliver(1, seq: 1, wanted: true, writable: false) == .drop)
        #expect(live.deliver(2, seq: 2, wanted: true, writable: true) == .drop, "stays dropped")
    }

    @Test("close reports whether it was open, once")
    func close() {
        var machine = Machine(heldLimit: 2)
        let first = machine.close(), second = machine.close()
        #expect(first && !second)
        #expect(machine.deliver(1, seq: 1, wanted: true, writable: true) == .drop)
    }
}
