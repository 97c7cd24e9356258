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
        #expect(machine.receivedHead(isUpgrade: false) == .arm(.seconds(30)))
        #expect(machine.receivedBodyPart() == .arm(.seconds(30)))
        #expect(machine.receivedEnd() == .disarm, "waiting for the answer is the handler's business")
        #expect(machine.sentHead() == .none)
        #expect(machine.sentEnd() == .arm(.seconds(60)))
        #expect(machine.receivedHead(isUpgrade: false) == .arm(.seconds(30)))
    }

    @Test("a first request that never completes is answered 408; an idle keep-alive connection is just closed")
    func timeouts() {
        var slow = RequestGuardStateMachine(timeouts: Self.timeouts)
        _ = slow.started()
        #expect(slow.timerFired() == .respondAndClose(.requestTimeout))
        #expect(slow.timerFired() == .none, "once")

        var idle = RequestGuardStateMachine(timeouts: Self.timeouts)
        _ = idle.started()
        _ = idle.receivedHead(isUpgrade: false)
        _ = idle.receivedEnd()
        _ = idle.sentHead()
        _ = idle.sentEnd()
        #expect(idle.timerFired() == .close)

        var stalledBody = RequestGuardStateMachine(timeouts: Self.timeouts)
        _ = stalledBody.started()
        _ = stalledBody.receivedHead(isUpgrade: false)
        #expect(stalledBody.timerFired() == .respondAndClose(.requestTimeout))
    }

    @Test("parse errors: 400, 431 for oversize headers, and no second answer when a response is under way")
    func parseErrors() {
        var machine = RequestGuardStateMachine(timeouts: Self.timeouts)
        _ = machine.started()
        #expect(machine.parseFailed(.invalidContentLength) == .respondAndClose(.badRequest))
        var oversize = RequestGuardStateMachine(timeouts: Self.timeouts)
        #expect(oversize.parseFailed(.headerOverflow) == .respondAndClose(.requestHeaderFieldsTooLarge))
        var answering = RequestGuardStateMachine(timeouts: Self.timeouts)
        _ = answering.receivedHead(isUpgrade: false)
        _ = answering.sentHead()
        #expect(answering.parseFailed(.invalidChunkSize) == .close)
    }

    @Test("an answer sent before its body was read ends the connection once flushed; an upgrade leaves the guard")
    func earlyAnswersAndUpgrades() {
        var machine = RequestGuardStateMachine(timeouts: Self.timeouts)
        _ = machine.receivedHead(isUpgrade: false)
        #expect(machine.isReadingBody)
        _ = machine.sentHead()
        #expect(machine.sentEnd() == .closeAfterFlush)
        var upgrade = RequestGuardStateMachine(timeouts: Self.timeouts)
        _ = upgrade.started()
        #expect(upgrade.receivedHead(isUpgrade: true) == .leave)
        #expect(upgrade.timerFired() == .none)
    }
}
