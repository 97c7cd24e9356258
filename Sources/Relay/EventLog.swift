/// Durable storage of events and of each channel's derived state. An event is acknowledged to its
/// publisher only after `append` returns.
public protocol EventLog: Sendable {
    /// The latest seq and state of a channel (0 and an empty state for a new one).
    func head(channel: String) async throws -> (seq: Int64, state: ChannelState)
    /// Stores `events` (consecutive seqs) and the state after them, atomically: all or nothing.
    func append(_ events: [Event], state: ChannelState) async throws
    /// Events with seq > `after`, oldest first, at most `limit`.
    func events(channel: String, after: Int64, limit: Int) async throws -> [Event]
    /// The stored event with this idempotency key.
    func event(channel: String, id: String) async throws -> Event?
    /// The oldest seq still kept (history is trimmed), nil when the channel has none.
    func oldestSeq(channel: String) async throws -> Int64?
}

/// Looks up a stored event of the channel by its idempotency key, inside a `SharedEventLog` write.
public typealias StoredEventLookup = @Sendable (_ id: String) async throws -> Event?

/// An `EventLog` several nodes write to at once (PostgreSQL). Writes take the channel's lock in the store,
/// so each starts from the head the previous one left, whichever node made it; every node learns of new
/// events through `changes()` and reads them from the log by seq.
public protocol SharedEventLog: EventLog {
    /// Holding the channel's write lock across nodes: gives `prepare` the stored head (seq and state) and
    /// a lookup of stored events by id, then stores the events it returns and the state after them,
    /// atomically, and tells the other nodes. Nothing is stored when `prepare` throws or returns no events.
    func appendLocked<Value: Sendable>(
        channel: String,
        _ prepare: @escaping @Sendable (_ seq: Int64, _ state: ChannelState, _ lookup: StoredEventLookup) async throws -> (events: [Event], state: ChannelState, value: Value)
    ) async throws -> Value

    /// What the log hears from other nodes, until it closes: `.appended` when a channel gained events,
    /// `.resync` when notifications may have been missed (a new listening connection), so every channel
    /// should be read again.
    func changes() -> AsyncStream<SharedLogChange>
}

/// A notification from a `SharedEventLog`.
public enum SharedLogChange: Sendable, Equatable {
    case appended(channel: String, seq: Int64)
    case resync
}
