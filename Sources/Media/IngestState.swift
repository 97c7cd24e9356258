import Foundation

/// Where an ingest stands. Drives `/readyz`, metrics and logs.
public enum IngestState: Sendable, Equatable {
    /// Created, not started.
    case idle
    /// Opening the input (attempt 1 is the first try).
    case connecting(attempt: Int)
    /// Packets are flowing.
    case live(since: Date)
    /// The input failed or ended; the next attempt starts after `retryIn` seconds.
    case reconnecting(attempt: Int, retryIn: Double, lastError: String)
    /// A file that does not loop reached its end.
    case ended
    /// Gave up after the source's `maxAttempts` failed attempts.
    case failed(lastError: String)
    /// Stopped on request.
    case stopped

    /// A short name for logs and metrics labels.
    public var name: String {
        switch self {
        case .idle: "idle"
        case .connecting: "connecting"
        case .live: "live"
        case .reconnecting: "reconnecting"
        case .ended: "ended"
        case .failed: "failed"
        case .stopped: "stopped"
        }
    }
}
