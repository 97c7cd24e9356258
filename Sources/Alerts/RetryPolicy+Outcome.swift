import Foundation

extension RetryPolicy {
    /// What one attempt's answer means for its delivery, as a value (the sender records it): a 2xx is
    /// delivered; anything else (another status, or no answer: `statusCode` nil) is retried after the
    /// backoff for attempt `attempt`, unless the retry period since the event (`createdAt`) is over.
    public func outcome(statusCode: Int?, attempt: Int, createdAt: Date, now: Date = Date(), jitter: Double = .random(in: 0...1)) -> WebhookStore.Outcome {
        if let statusCode, (200..<300).contains(statusCode) { return .delivered }
        if now.timeIntervalSince(createdAt) >= giveUpAfter { return .gaveUp }
        return .retry(at: now.addingTimeInterval(delay(afterAttempt: attempt, jitter: jitter)))
    }
}
