import Foundation
import Synchronization

/// Calls per key in fixed one-minute windows (subscribe calls per client address, changes per push
/// endpoint): `allow` answers nil when the call may go ahead, else the seconds until the window ends
/// (for `Retry-After`). Windows that ended are dropped as the table grows, so a flood of distinct keys
/// costs memory for one minute only.
final class CallRateLimiter: Sendable {
    let perMinute: Int
    private let windows = Mutex<[String: (start: ContinuousClock.Instant, count: Int)]>([:])

    init(perMinute: Int) {
        self.perMinute = perMinute
    }

    func allow(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        guard perMinute > 0 else { return nil }
        return windows.withLock { windows in
            if windows.count > 50_000 { windows = windows.filter { now - $0.value.start < .seconds(60) } }
            var window = windows[key] ?? (now, 0)
            if now - window.start >= .seconds(60) { window = (now, 0) }
            guard window.count < perMinute else {
                let left = Duration.seconds(60) - (now - window.start)
                return max(1, Int(left.components.seconds) + 1)
            }
            window.count += 1
            windows[key] = window
            return nil
        }
    }
}
