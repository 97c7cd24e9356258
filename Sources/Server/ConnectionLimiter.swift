import Alerts
import NIOCore
import Synchronization

/// Counts the open connections of each client address and refuses those over `perAddress` (0: no
/// limit), so one client (a slow-loris script, a runaway reconnect loop) cannot take every file
/// descriptor. IPv6 clients count per /64, the block one subscriber usually holds. Addresses in `exempt`
/// (caching edges, load balancers that connect on behalf of many viewers) are never limited.
final class ConnectionLimiter: Sendable {
    let perAddress: Int
    private let exempt: Set<String>
    private let open = Mutex<[String: Int]>([:])

    init(perAddress: Int, exempt: [String]) {
        self.perAddress = perAddress
        self.exempt = Set(exempt.map(Self.key))
    }

    /// Admits a new connection from `address`: the key to `release` when it closes, or nil when refused.
    func admit(_ address: SocketAddress?) -> String? {
        let key = address.flatMap(\.ipAddress).map(Self.key) ?? "unknown"
        guard perAddress > 0, !exempt.contains(key) else { return key }
        return open.withLock { counts in
            let count = counts[key, default: 0]
            guard count < perAddress else { return nil }
            counts[key] = count + 1
            return key
        }
    }

    func release(_ key: String) {
        guard perAddress > 0, !exempt.contains(key) else { return }
        open.withLock { counts in
            let count = counts[key, default: 1] - 1
            counts[key] = count > 0 ? count : nil
        }
    }

    /// The counting key of an address: `IPAddress.subscriberPrefix`, or the text itself.
    static func key(_ address: String) -> String {
        IPAddress(address)?.subscriberPrefix ?? address.lowercased()
    }
}
