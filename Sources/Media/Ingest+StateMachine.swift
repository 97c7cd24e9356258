import Foundation

/// The ingest's transitions and reconnect backoff, free of I/O so they are tested on their own.
struct IngestStateMachine {
    /// Exponential backoff: `initial`, doubled per failed attempt, capped at `maximum`.
    struct Backoff: Sendable {
        var initial = 0.5
        var maximum = 10.0

        func delay(afterFailures failures: Int) -> Double {
            min(maximum, initial * pow(2, Double(max(0, failures - 1))))
        }
    }

    /// What the worker should do next.
    enum Action: Equatable {
        case open
        case wait(Double)
        case rewind
        case finish
    }

    private(set) var state: IngestState = .idle
    private(set) var failures = 0
    let backoff: Backoff

    /// Failed attempts in a row after which the ingest gives up; nil: never.
    let maxAttempts: Int?

    init(backoff: Backoff = Backoff(), maxAttempts: Int? = nil) {
        self.backoff = backoff
        self.maxAttempts = maxAttempts
    }

    /// Starting or retrying: the next open attempt.
    mutating func connecting() -> IngestState {
        state = .connecting(attempt: failures + 1)
        return state
    }

    /// The input opened and the first packets arrived.
    mutating func opened(at date: Date) -> IngestState {
        failures = 0
        state = .live(since: date)
        return state
    }

    /// Open or read failed: count the failure and wait before the next attempt.
    mutating func failed(_ error: String) -> Action {
        failures += 1
        if let maxAttempts, failures >= maxAttempts {
            state = .failed(lastError: error)
            return .finish
        }
        let delay = backoff.delay(afterFailures: failures)
        state = .reconnecting(attempt: failures + 1, retryIn: delay, lastError: error)
        return .wait(delay)
    }

    /// The input reached its end. A looping file rewinds; another file ends; a network source is retried.
    mutating func endOfInput(isFile: Bool, loops: Bool) -> Action {
        if isFile && loops { return .rewind }
        if isFile {
            state = .ended
            return .finish
        }
        return failed("the source ended the stream")
    }

    mutating func stopped() -> IngestState {
        state = .stopped
        return state
    }
}
