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
        /// A WebSocket upgrade: the rest of the connection is not HTTP; stop watching it.
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

    /// A request's body is still arriving.
    var isReadingBody: Bool { readingBody && !finished }

    init(timeouts: Timeouts) {
        self.timeouts = timeouts
    }

    /// The connection opened.
    mutating func started() -> Action { timerAction() }

    mutating func receivedHead(isUpgrade: Bool) -> Action {
        guard !finished else { return .none }
        if isUpgrade {
            finished = true
            return .leave
        }
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

    mutating func sentHead() -> Action {
        guard !finished else { return .none }
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
        // An idle keep-alive connection is simply closed; a request that never completed is told why.
        if responding || (requestsSeen > 0 && !readingBody) { return .close }
        return .respondAndClose(.requestTimeout)
    }

    mutating func parseFailed(_ error: HTTPParserError) -> Action {
        guard !finished else { return .none }
        finished = true
        if responding { return .close }
        return .respondAndClose(error == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest)
    }

    private func timerAction() -> Action {
        if readingBody { return .arm(timeouts.body) }
        if pending == 0 { return .arm(requestsSeen == 0 ? timeouts.header : timeouts.idle) }
        return .disarm
    }
}
