import Synchronization

/// Receives a channel's events from the hub. Must not wait: return false to be removed.
public protocol HubSubscriber: AnyObject, Sendable {
    func deliver(_ event: EncodedEvent) -> Bool
    /// Events were lost to this channel's subscribers (see `Hub.sever`): a client-facing subscriber ends
    /// its connection so the client resumes with `since` and learns of the gap. Default: nothing.
    func severed()
}

extension HubSubscriber {
    public func severed() {}
}

/// Fans each channel's events out to its subscribers: the same encoded bytes to each one's bounded queue.
public final class Hub: Sendable {
    private let subscribers = Mutex<[String: [ObjectIdentifier: any HubSubscriber]]>([:])

    public init() {}

    public func add(_ subscriber: any HubSubscriber, channel: String) {
        subscribers.withLock { $0[channel, default: [:]][ObjectIdentifier(subscriber)] = subscriber }
    }

    public func remove(_ subscriber: any HubSubscriber, channel: String) {
        subscribers.withLock { _ = $0[channel]?.removeValue(forKey: ObjectIdentifier(subscriber)) }
    }

    /// Tells every subscriber of `channel` that the events between what they got and what comes next are
    /// lost (a shared log no longer held them): each ends its clients' streams so they resume.
    public func sever(channel: String) {
        let targets = subscribers.withLock { Array(($0[channel] ?? [:]).values) }
        for target in targets { target.severed() }
    }

    /// Delivers `events` (in seq order) to every subscriber of `channel`; drops those that refuse.
    public func publish(_ events: [EncodedEvent], channel: String) {
        let targets = subscribers.withLock { Array(($0[channel] ?? [:]).values) }
        for target in targets {
            for event in events where !target.deliver(event) {
                remove(target, channel: channel)
                break
            }
        }
    }
}
