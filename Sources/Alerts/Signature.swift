import Crypto
import Foundation

/// Webhook signatures: `X-SenateLive-Signature: sha256=<hex>` where hex is HMAC-SHA256 with the endpoint's
/// secret over `<X-SenateLive-Timestamp>.<body>`. The timestamp in the signed text lets a receiver refuse
/// old replays.
public enum Signature {
    public static func sign(body: Data, timestamp: Int, secret: String) -> String {
        var signed = Data("\(timestamp).".utf8)
        signed.append(body)
        let code = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }
}

/// When to try again: exponential from `base`, capped at `cap`, with jitter (a random 50–100 % of the
/// delay) so endpoints that come back are not hit by every sender at once.
public struct RetryPolicy: Sendable, Equatable {
    public var base: Double
    public var cap: Double
    /// Give up on a delivery this long after its event.
    public var giveUpAfter: Double

    public init(base: Double, cap: Double, giveUpAfter: Double) {
        self.base = base
        self.cap = cap
        self.giveUpAfter = giveUpAfter
    }

    /// The delay after failed attempt number `attempt` (1 for the first), with `jitter` in 0...1.
    public func delay(afterAttempt attempt: Int, jitter: Double = Double.random(in: 0...1)) -> Double {
        let exponential = min(cap, base * pow(2, Double(max(0, attempt - 1))))
        return exponential * (0.5 + 0.5 * min(1, max(0, jitter)))
    }
}
