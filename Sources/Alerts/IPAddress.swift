import Foundation

/// An IPv4 or IPv6 address (4 or 16 bytes), read strictly with `inet_pton`: `127.1`, `0x7f.0.0.1` or
/// `2130706433` are not addresses here (they are host names, which the resolver then turns into what
/// they really point to, and that is what gets checked).
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(_ text: String) {
        var text = Substring(text)
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, String(text), &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, String(text), &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public var isIPv4: Bool { bytes.count == 4 }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = isIPv4 ? AF_INET : AF_INET6
        return bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)).map { String(cString: $0) } ?? "?"
        }
    }

    /// The block one subscriber usually holds: the address itself for IPv4, its /64 for IPv6, the IPv4
    /// address for an IPv4-mapped one.
    public var subscriberPrefix: String {
        if let embedded = mappedIPv4 { return embedded.description }
        guard !isIPv4 else { return description }
        return IPAddress(bytes: Array(bytes[0..<8]) + [UInt8](repeating: 0, count: 8))!.description + "/64"
    }

    /// Whether the address is one the public internet routes to: not loopback, private (RFC 1918, ULA),
    /// shared (CGNAT), link-local (cloud metadata lives at 169.254.169.254), unspecified, multicast,
    /// reserved or documentation space; IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4) are
    /// judged by it.
    public var isPublic: Bool {
        if isIPv4 { return Self.isPublicIPv4(bytes) }
        if let embedded = mappedIPv4 ?? nat64IPv4 ?? sixToFourIPv4 { return embedded.isPublic }
        let b = bytes
        if b[0..<15].allSatisfy({ $0 == 0 }) { return false }                 // :: and ::1
        if b[0..<12].allSatisfy({ $0 == 0 }) { return false }                 // ::a.b.c.d (deprecated)
        if b[0] & 0xFE == 0xFC { return false }                               // fc00::/7 unique local
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return false }              // fe80::/10 link-local
        if b[0] == 0xFE && b[1] & 0xC0 == 0xC0 { return false }              // fec0::/10 site-local
        if b[0] == 0xFF { return false }                                      // ff00::/8 multicast
        if b[0] == 0x01 && b[1] == 0 && b[2..<8].allSatisfy({ $0 == 0 }) { return false } // 100::/64 discard
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return false } // 2001:db8::/32
        if b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02 { return false }       // 2001::/23 (Teredo, ORCHID …)
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4] == 0 && b[5] == 1 { return false } // 64:ff9b:1::/48
        return b[0] & 0xE0 == 0x20                                            // 2000::/3 is global unicast
    }

    private var mappedIPv4: IPAddress? {
        guard !isIPv4, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else { return nil }
        return IPAddress(bytes: Array(bytes[12..<16]))
    }

    private var nat64IPv4: IPAddress? {
        guard !isIPv4, bytes[0..<4] == [0x00, 0x64, 0xFF, 0x9B], bytes[4..<12].allSatisfy({ $0 == 0 }) else { return nil }
        return IPAddress(bytes: Array(bytes[12..<16]))
    }

    private var sixToFourIPv4: IPAddress? {
        guard !isIPv4, bytes[0] == 0x20, bytes[1] == 0x02 else { return nil }
        return IPAddress(bytes: Array(bytes[2..<6]))
    }

    private static func isPublicIPv4(_ b: [UInt8]) -> Bool {
        switch (b[0], b[1], b[2]) {
        case (0, _, _), (10, _, _), (127, _, _): false
        case (100, 64...127, _): false                         // shared address space (CGNAT)
        case (169, 254, _): false                              // link-local, cloud metadata
        case (172, 16...31, _): false
        case (192, 0, 0), (192, 0, 2), (192, 88, 99), (192, 168, _): false
        case (198, 18...19, _), (198, 51, 100), (203, 0, 113): false
        case (224..., _, _): false                             // multicast, reserved, broadcast
        default: true
        }
    }
}
