import Alerts
import Foundation
import Testing

@Suite("Webhook attempt outcomes")
struct AttemptOutcomeTests {
    static let policy = RetryPolicy(base: 1, cap: 300, giveUpAfter: 86_400)
    static let created = Date(timeIntervalSince1970: 1_795_400_000)

    @Test("2xx is delivered, even after the retry period")
    func delivered() {
        for status in [200, 202, 204, 299] {
            #expect(Self.policy.outcome(statusCode: status, attempt: 1, createdAt: Self.created, now: Self.created) == .delivered)
        }
        #expect(Self.policy.outcome(statusCode: 200, attempt: 9, createdAt: Self.created, now: Self.created + 100_000) == .delivered)
    }

    @Test("any other answer, or none, is retried after the doubling backoff, capped")
    func retried() {
        let now = Self.created + 10
        for status in [nil, 301, 404, 429, 500, 503] as [Int?] {
            #expect(Self.policy.outcome(statusCode: status, attempt: 1, createdAt: Self.created, now: now, jitter: 1) == .retry(at: now + 1))
        }
        #expect(Self.policy.outcome(statusCode: 500, attempt: 4, createdAt: Self.created, now: now, jitter: 1) == .retry(at: now + 8))
        #expect(Self.policy.outcome(statusCode: 500, attempt: 4, createdAt: Self.created, now: now, jitter: 0) == .retry(at: now + 4), "jitter: half to all of it")
        #expect(Self.policy.outcome(statusCode: 500, attempt: 30, createdAt: Self.created, now: now, jitter: 1) == .retry(at: now + 300))
    }

    @Test("once the retry period since the event is over, a failure gives up")
    func givesUp() {
        #expect(Self.policy.outcome(statusCode: 500, attempt: 12, createdAt: Self.created, now: Self.created + 86_400) == .gaveUp)
        #expect(Self.policy.outcome(statusCode: nil, attempt: 12, createdAt: Self.created, now: Self.created + 86_399, jitter: 1) != .gaveUp)
    }
}
