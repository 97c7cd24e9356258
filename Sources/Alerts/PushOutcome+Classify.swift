import Foundation

extension PushOutcome {
    /// What a push service's answer means (RFC 8030 §5, §7.3 and §8.4), as a value: 2xx delivered; 404
    /// and 410 the subscription is gone; 429 and 5xx (or no answer: `status` nil) retried — after
    /// `Retry-After` when the service gave one, else after the policy's backoff — unless that is past
    /// the alert's expiry; anything else (400, 403 a key mismatch, 413, a redirect) fails for good.
    public static func classify(
        status: Int?, retryAfter: String?, attempt: Int, expiresAt: Date, policy: RetryPolicy,
        now: Date = Date(), jitter: Double = .random(in: 0...1)
    ) -> PushOutcome {
        switch status {
        case let code? where (200..<300).contains(code): return .delivered
        case 404?, 410?: return .gone
        case nil, 429?, (500..<600)?: break
        default: return .failed
        }
        let wait = retryAfter.flatMap { retryDelay($0, now: now) } ?? policy.delay(afterAttempt: attempt, jitter: jitter)
        let at = now.addingTimeInterval(max(0, wait))
        return at < expiresAt ? .retry(at: at) : .failed
    }

    /// `Retry-After` (RFC 9110 §10.2.3): delay seconds or an HTTP date; nil when it is neither.
    public static func retryDelay(_ value: String, now: Date = Date()) -> TimeInterval? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(text), seconds >= 0 { return TimeInterval(seconds) }
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "GMT")
        format.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return format.date(from: text).map { max(0, $0.timeIntervalSince(now)) }
    }
}
