import NIOCore
import NIOHTTP1

/// What one HTTP/1.1 connection's request guard decides, from what it has seen: the request parts read,
/// the response parts written, its timer and decoder errors. Pure, so it is tested without sockets.
///
/// - The first request head must arrive within `header`, later ones within `idle` of the previous
///   response's end (a keep-alive connection nobody uses is closed).
/// - While a body is expected, `body` may pass between two of its parts at most.
/// - While a request waits for its answer (a blocking playlist reload, a long SSE stream) no timer runs:
///   that is the handler's business.
/// - A malformed request is answered 400 (431 for oversize headers) and the connection closed; if a
///   response is already under way it is closed without one.
struct RequestGuardStateMachine {
    struct Timeouts: Equatable {
        var header: TimeAmount
        var body: TimeAmount
        var idle: TimeAmount
    }

    enum Action: Equatable {
        /// (Re)start the one timer.
        case arm(TimeAmount)
        case disarm
        /// Answer with this status (no response is under way) and close.
        case respondAndClose(HTTPResponseStatus)
        /// Close now.
        case close
        /// Close once what was just written is flushed.
        case closeAfterFlush
        /// The connection switched to WebSocket: the rest is not HTTP; stop watching it.
        case leave
        case none
    }

    let timeouts: Timeouts
    private var readingBody = false
    /// Requests read whose response has not ended.
    private var pending = 0
    /// A response head was written and its end not yet.
    private var responding = false
    private var requestsSeen = 0
    private var finished = false
    private var lastAskedForUpgrade = false

    /// The response about to start answers a request whose body is still arriving.
    var isAnsweringEarly: Bool { readingBody && pending == 1 && !finished }

    init(timeouts: Timeouts) {
        self.timeouts = timeouts
    }

    /// The connection opened.
    mutating func started() -> Action { timerAction() }

    /// A request head: timed like any other, an upgrade request too (it may never become one: a missing
    /// key, a refused path; until the `101` goes out it is HTTP).
    mutating func receivedHead(asksForUpgrade: Bool = false) -> Action {
        guard !finished else { return .none }
        lastAskedForUpgrade = asksForUpgrade
        requestsSeen += 1
        pending += 1
        readingBody = true
        return timerAction()
    }

    mutating func receivedBodyPart() -> Action {
        guard !finished else { return .none }
        return timerAction()
    }

    mutating func receivedEnd() -> Action {
        guard !finished else { return .none }
        readingBody = false
        return timerAction()
    }

    mutating func sentHead(switchingProtocols: Bool = false) -> Action {
        guard !finished else { return .none }
        if switchingProtocols {
            // The connection is a WebSocket from here on: not HTTP to watch any more.
            finished = true
            return .leave
        }
        responding = true
        return .none
    }

    mutating func sentEnd() -> Action {
        guard !finished else { return .none }
        responding = false
        pending = max(0, pending - 1)
        if readingBody && pending == 0 {
            // Answered before its body was read (401, 413): the rest of the body, maybe endless, is not
            // read to keep the connection; it closes once the answer is out.
            finished = true
            return .closeAfterFlush
        }
        return timerAction()
    }

    mutating func timerFired() -> Action {
        guard !finished else { return .none }
        finished = true
        // An idle keep-alive connection is simply closed; a request that never completed is told why,
        // unless an earlier request's answer is still due (an answer now would be taken for that one).
        if !answerable || (requestsSeen > 0 && !readingBody) { return .close }
        return .respondAndClose(.requestTimeout)
    }

    mutating func parseFailed(_ error: HTTPParserError) -> Action {
        guard !finished else { return .none }
        finished = true
        guard answerable else { return .close }
        return .respondAndClose(error == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest)
    }

    /// The handlers behind close the connection. A WebSocket upgrade request the upgrader refused (no
    /// key, a bad version) is closed that way with no answer at all: it gets a 400 first.
    mutating func closing() -> Action {
        guard !finished else { return .none }
        finished = true
        return lastAskedForUpgrade && !responding && pending == 1 ? .respondAndClose(.badRequest) : .none
    }

    /// An error answer now would answer the request being read: no response is under way and no earlier
    /// request waits for one.
    private var answerable: Bool { !responding && pending <= (readingBody ? 1 : 0) }

    private func timerAction() -> Action {
        if readingBody { return .arm(timeouts.body) }
        if pending == 0 { return .arm(requestsSeen == 0 ? timeouts.header : timeouts.idle) }
        return .disarm
    }
}
