import Foundation

/// The LINE Official Account channel (`alerts.line.*`): bill and keyword alerts to the LINE users who
/// follow the account, through the Messaging API.
public struct LineSettings: Sendable, Equatable {
    /// The channel access token (LINE Developers console). Empty: LINE is off.
    public var channelAccessToken = ""
    /// The channel secret: LINE signs its webhooks with it (`X-Line-Signature`).
    public var channelSecret = ""
    /// Where the Messaging API is.
    public var apiBase = "https://api.line.me"
    /// Messages a calendar month (Asia/Bangkok) may use; one per recipient. A request that would go over
    /// is held, not sent, and the metrics and log say so. 0: no budget.
    public var monthlyBudget = 0
    /// The viewer's public address, for the link in each message (`https://live.senate.go.th`); empty: no link.
    public var publicURL = ""
    /// Let `apiBase` be a private or loopback address (tests, a proxy on the server's own network).
    public var allowPrivate = false
    /// Seconds a request is retried (with the same `X-Line-Retry-Key`, valid 24 hours at LINE).
    public var retryFor = 3600.0
    /// Seconds to wait for LINE's answer.
    public var timeout = 10.0
    /// Keywords (or bill ids) one LINE user may follow.
    public var maxFollows = 20

    public init() {}

    public var isEnabled: Bool { !channelAccessToken.isEmpty }

    public var retryPolicy: RetryPolicy { RetryPolicy(base: 1, cap: 120, giveUpAfter: retryFor) }
}
