import Testing
@testable import RelayPostgres

@Suite("Shared log: the LISTEN connection's heartbeat")
struct ListenerHeartbeatTests {
    @Test("while notifications come, it only waits")
    func busy() {
        var heartbeat = ListenerHeartbeat()
        for age in [0, 1, 4] { #expect(heartbeat.next(sinceHeard: .seconds(age)) == .sleep(.seconds(5))) }
    }

    @Test("quiet for 5 s: it pings itself; hearing the ping (or anything) within 3 s keeps the connection")
    func quietThenHeard() {
        var heartbeat = ListenerHeartbeat()
        #expect(heartbeat.next(sinceHeard: .seconds(5)) == .ping(thenSleep: .seconds(3)))
        #expect(heartbeat.next(sinceHeard: .milliseconds(200)) == .sleep(.seconds(5)), "the ping came back")
        #expect(heartbeat.next(sinceHeard: .seconds(6)) == .ping(thenSleep: .seconds(3)))
        #expect(heartbeat.next(sinceHeard: .milliseconds(7_900)) == .sleep(.seconds(5)), "heard just inside the grace")
    }

    @Test("nothing heard, not even its own ping: stale, so the listener reconnects and resyncs")
    func stale() {
        var heartbeat = ListenerHeartbeat()
        _ = heartbeat.next(sinceHeard: .seconds(5))
        guard case .stale(let reason) = heartbeat.next(sinceHeard: .seconds(8)) else {
            Issue.record("not stale")
            return
        }
        #expect(reason.contains("not even its own"))
    }
}
