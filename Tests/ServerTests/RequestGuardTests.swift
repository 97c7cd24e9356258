import NIOCore
import NIOHTTP1
import Testing
@testable import Server

@Suite("Request guard state machine")
struct RequestGuardTests {
    static let timeouts = RequestGuardStateMachine.Timeouts(header: .seconds(10), body: .seconds(30), idle: .seconds(60))

    @Test("first head within the header timeout, body parts within the body timeout, then idle until the next head")
    func timers() {
        var machine = RequestGuardStateMachine(timeouts: Self.timeouts)
        #expect(machine.started() == .arm(.seconds(10)))
        #expect(machine.receivedHead() == .arm(.seconds(30)))
        #expect(machine.receivedBodyPart() == .arm(.seconds(30)))
        #expect(machine.receivedEnd() == .disarm, "waiting for the answer is the handler's business")
        #expect(machine.sentHead() == .none)
        #expect(machine.sentEnd() == .arm(.seconds(60)))
        #expect(machine.receivedHead() == .arm(.seconds(30)))
    }

    @Test("a first request that never completes is answered 408; an idle keep-alive connection is just closed")
    func timeouts() {
        var slow = RequestGuardStateMachine(timeouts: Self.timeouts)
        _ = slow.started()
        #expect(slow.timerFired() == .respondAndClose(.requestTimeout))
        #expect(slow.timerFired() == .none, "once")

        var idle = RequestGuardStateMachine(timeouts: Self.timeouts)
        _ = idle.started()
        _ = idle.receivedHead()
        _ = idle.receivedEnd()
        _ = idle.sentHead()
        _ = idle.sentEnd()
        #expect(idle.timerFired() == .close)

        var stalledBody = RequestGuardStateMachine(timeouts: Self.timeouts)
        _ = stalledBody.started()
        _ = stalledBody.receivedHead()
        #expect(stalledBody.timerFired() == .respondAndClose(.requestTimeout))
    }

    @Test("parse errors: 400, 431 for oversize headers; no answer while a response, or an earlier request's answer, is due")
    func parseErrors() {
        var machine = RequestGuardStateMachine(timeouts: Self.timeouts)
        _ = machine.started()
        #expect(machine.parseFailed(.invalidContentLength) == .respondAndClose(.badRequest))
        var oversize = RequestGuardStateMachine(timeouts: Self.timeouts)
        #expect(oversize.parseFailed(.headerOverflow) == .respondAndClose(.requestHeaderFieldsTooLarge))
        var answering = RequestGuardStateMachine(timeouts: Self.timeouts)
        _ = answering.receivedHead()
        _ = answering.sentHead()
        #expect(answering.parseFailed(.invalidChunkSize) == .close)
        // Pipelined: request 1 waits for its answer while request 2 breaks; a 400 now would read as request 1's.
        var pipelined = RequestGuardStateMachine(timeouts: Self.timeouts)
        _ = pipelined.receivedHead()
        _ = pipelined.receivedEnd()
        _ = pipelined.receivedHead()
        #expect(!pipelined.isAnsweringEarly)
        #expect(pipelined.parseFailed(.invalidChunkSize) == .close)
    }

    @Test("an answer sent before its body was read ends the connection once flushed; only a 101 leaves the guard")
    func earlyAnswersAndUpgrades() {
        var machine = RequestGuardStateMachine(timeouts: Self.timeouts)
        _ = machine.receivedHead()
        #expect(machine.isAnsweringEarly)
        _ = machine.sentHead()
        #expect(machine.sentEnd() == .closeAfterFlush)
        // An upgrade request is timed like any other until the 101 goes out.
        var upgrade = RequestGuardStateMachine(timeouts: Self.timeouts)
        _ = upgrade.started()
        #expect(upgrade.receivedHead() == .arm(.seconds(30)))
        #expect(upgrade.receivedEnd() == .disarm)
        #expect(upgrade.sentHead(switchingProtocols: true) == .leave)
        #expect(upgrade.timerFired() == .none)
        var stalled = RequestGuardStateMachine(timeouts: Self.timeouts)
        _ = stalled.receivedHead(asksForUpgrade: true)
        #expect(stalled.timerFired() == .respondAndClose(.requestTimeout), "an upgrade request that never completes times out")
        var refused = RequestGuardStateMachine(timeouts: Self.timeouts)
        _ = refused.receivedHead(asksForUpgrade: true)
        _ = refused.receivedEnd()
        #expect(refused.closing() == .respondAndClose(.badRequest), "an upgrade the upgrader refused gets an answer")
        var idle = RequestGuardStateMachine(timeouts: Self.timeouts)
        #expect(idle.closing() == .none, "closing an idle connection is nobody's error")
    }
}
