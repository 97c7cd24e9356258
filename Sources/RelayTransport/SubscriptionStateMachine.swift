/// What a subscription does with each live event, as a value with no sockets (`DirectSubscriber` runs it
/// under its lock): while the subscriber is brought up to date (snapshot or replay) live events are held;
/// once the catch-up has sent everything up to a seq, what was held after it goes out, then live events
/// are written as they come. No gap, no duplicate, in order.
struct SubscriptionStateMachine<Item> {
    /// What to do with one live event.
    enum Delivery: Equatable {
        /// Write it now.
        case write
        /// Held until the catch-up ends.
        case hold
        /// Nothing to send (already sent by the catch-up, or not followed).
        case skip
        /// The subscriber is gone or too slow: drop it (the session closes it with 4008).
        case drop
    }

    private enum Mode {
        case catchingUp(held: [(seq: Int64, item: Item)])
        case live(lastSent: Int64)
        case closed
    }

    private var mode = Mode.catchingUp(held: [])
    /// Most live events held during a catch-up.
    let heldLimit: Int

    init(heldLimit: Int) {
        self.heldLimit = heldLimit
    }

    var isClosed: Bool {
        if case .closed = mode { return true }
        return false
    }

    /// A live event `seq`; `wanted`: it passes the follow filter; `writable`: the connection's outbound
    /// buffer is below its high watermark. Both are asked only once the event is to be written (this runs
    /// per subscriber per event, and most events during a catch-up or after the replay need neither).
    mutating func deliver(_ item: Item, seq: Int64, wanted: @autoclosure () -> Bool, writable: @autoclosure () -> Bool) -> Delivery {
        switch mode {
        case .closed:
            return .drop
        case .catchingUp(var held):
            guard held.count < heldLimit else {
                mode = .closed
                return .drop
            }
            // Released from the enum first, so appending does not copy the array.
            mode = .closed
            held.append((seq, item))
            mode = .catchingUp(held: held)
            return .hold
        case .live(let lastSent):
            guard seq > lastSent else { return .skip }
            guard wanted() else {
                mode = .live(lastSent: seq)
                return .skip
            }
            guard writable() else {
                mode = .closed
                return .drop
            }
            mode = .live(lastSent: seq)
            return .write
        }
    }

    /// The catch-up has sent everything up to `seq`: returns the held events to write now (those after
    /// `seq` that `wanted` keeps), in order, and goes live. Nothing when it is not catching up.
    mutating func goLive(after seq: Int64, wanted: (Item) -> Bool) -> [Item] {
        guard case .catchingUp(let held) = mode else { return [] }
        var last = seq
        var writes: [Item] = []
        for entry in held where entry.seq > last {
            if wanted(entry.item) { writes.append(entry.item) }
            last = entry.seq
        }
        mode = .live(lastSent: last)
        return writes
    }

    /// Stops writing; true if it was open.
    mutating func close() -> Bool {
        if case .closed = mode { return false }
        mode = .closed
        return true
    }
}
