/// When the LISTEN connection counts as dead: a half-open TCP connection or a frozen server process never
/// reports an error, so after `quiet` with nothing heard the listener notifies itself through the pool and
/// expects to hear that within `grace`. Pure: the listener's watch loop runs the actions.
struct ListenerHeartbeat {
    enum Action: Equatable {
        /// Look again after this long.
        case sleep(Duration)
        /// Send the self-notification, then look again after this long.
        case ping(thenSleep: Duration)
        /// Nothing came back, not even the ping: reconnect.
        case stale(String)
    }

    private enum State { case listening, pinged }

    let quiet: Duration
    let grace: Duration
    private var state = State.listening

    init(quiet: Duration = .seconds(5), grace: Duration = .seconds(3)) {
        self.quiet = quiet
        self.grace = grace
    }

    /// The next step, given how long ago anything was heard (another node's event or our own ping).
    mutating func next(sinceHeard age: Duration) -> Action {
        switch state {
        case .listening:
            guard age >= quiet else { return .sleep(quiet) }
            state = .pinged
            return .ping(thenSleep: grace)
        case .pinged:
            state = .listening
            if age >= quiet + grace { return .stale("no notification, not even its own, for \(age)") }
            return .sleep(quiet)
        }
    }
}
