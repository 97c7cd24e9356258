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
