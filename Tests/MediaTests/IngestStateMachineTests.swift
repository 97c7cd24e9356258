import Foundation
import Testing
@testable import Media

@Suite("Ingest state machine")
struct IngestStateMachineTests {
    @Test("failures back off exponentially up to the cap, and a live session resets the count")
    func backoff() {
        var machine = IngestStateMachine(backoff: .init(initial: 0.5, maximum: 4))
        _ = machine.connecting()
        #expect(machine.state == .connecting(attempt: 1))
        let delays = (0..<6).map { _ in machine.failed("boom") }
        #expect(delays == [.wait(0.5), .wait(1), .wait(2), .wait(4), .wait(4), .wait(4)])
        #expect(machine.state == .reconnecting(attempt: 7, retryIn: 4, lastError: "boom"))
        let now = Date()
        #expect(machine.opened(at: now) == .live(since: now))
        #expect(machine.failed("again") == .wait(0.5))
    }

    @Test("end of input: a looping file rewinds, a file ends, a network source reconnects")
    func endOfInput() {
        var machine = IngestStateMachine()
        #expect(machine.endOfInput(isFile: true, loops: true) == .rewind)
        #expect(machine.endOfInput(isFile: true, loops: false) == .finish)
        #expect(machine.state == .ended)
        #expect(machine.endOfInput(isFile: false, loops: true) == .wait(0.5))
        if case .reconnecting = machine.state {} else { Issue.record("expected reconnecting, got \(machine.state)") }
    }

    @Test("maxAttempts gives up with the last error")
    func givesUp() {
        var machine = IngestStateMachine(maxAttempts: 2)
        #expect(machine.failed("first") == .wait(0.5))
        #expect(machine.failed("second") == .finish)
        #expect(machine.state == .failed(lastError: "second"))
        #expect(machine.stopped() == .stopped)
    }
}
