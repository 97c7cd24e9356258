import Foundation
import Relay

/// A registered receiver: where to POST, the secret that signs, and which events it wants.
public struct Webhook: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case active, disabled }

    /// Which events an endpoint receives: all of `channels` and `types` (empty: any), and, when it names
    /// bills, items or tags, only events about one of them.
    public struct Filter: Codable, Sendable, Equatable {
        public var channels: [String]
        public var types: [String]
        public var follow: FollowFilter

        public init(channels: [String] = [], types: [String] = [], follow: FollowFilter = FollowFilter()) {
            self.channels = channels
            self.types = types
            self.follow = follow
        }

        public func matches(_ event: Event) -> Bool {
            (channels.isEmpty || channels.contains(event.channel)) && (types.isEmpty || types.contains(event.type.rawValue))
                && follow.matches(event)
        }
    }

    public var id: String
    public var url: String
    public var filter: Filter
    /// The token subject that registered it.
    public var owner: String
    public var status: Status
    /// Why it was disabled (`5 failed attempts in a row; last: HTTP 500`).
    public var disabledReason: String?
    /// Failed attempts since the last success.
    public var failures: Int
    public var createdAt: Date

    public init(id: String, url: String, filter: Filter, owner: String, status: Status = .active, disabledReason: String? = nil, failures: Int = 0, createdAt: Date) {
        self.id = id
        self.url = url
        self.filter = filter
        self.owner = owner
        self.status = status
        self.disabledReason = disabledReason
        self.failures = failures
        self.createdAt = createdAt
    }
}

/// One event on its way to one endpoint, with every attempt made.
public struct Delivery: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case pending, delivered, failed }

    public struct Attempt: Codable, Sendable, Equatable {
        public var number: Int
        public var at: Date
        /// The receiver's HTTP status; nil when no answer came (refused, timed out).
        public var statusCode: Int?
        public var error: String?
        public var milliseconds: Int
    }

    public var id: String
    public var webhookId: String
    public var channel: String
    public var seq: Int64
    public var type: String
    public var status: Status
    public var attempts: [Attempt]
    public var nextAttemptAt: Date?
    public var createdAt: Date
}

/// A delivery ready to be sent now.
public struct DeliveryJob: Sendable {
    public var deliveryId: String
    public var webhookId: String
    public var url: String
    public var secret: String
    public var type: String
    public var payload: Data
    /// Attempts made before this one.
    public var attempts: Int
    public var createdAt: Date
}
