import Foundation
import Storage

/// Where the server's own outbound requests (webhooks; Web Push later) may go. A URL that anyone with an
/// operator token can register must not become a way into the server's network: by default only public
/// addresses are reached, never loopback, private, link-local (cloud metadata), the server's own
/// interfaces, or anything else `IPAddress.isPublic` refuses.
///
/// The check runs on the addresses the host resolves to, at registration and again before each
/// connection; the connection then goes to the very address that was checked (`OutboundTarget.address`),
/// so a name that resolves elsewhere a moment later (DNS rebinding) gains nothing.
public struct OutboundPolicy: Sendable {
    /// Host names or addresses that may be reached whatever they resolve to (receivers on the server's own
    /// network). Empty: any public host.
    public var allowHosts: [String]
    /// Reach private and loopback addresses of any host (a closed network with no public receivers).
    public var allowPrivate: Bool

    public init(allowHosts: [String] = [], allowPrivate: Bool = false) {
        self.allowHosts = allowHosts.map { $0.lowercased() }
        self.allowPrivate = allowPrivate
    }

    /// Checks a URL's form: `http` or `https` (in any case), a host, no user name or password, at most
    /// 2048 bytes. Returns it with scheme and host in lower case.
    public func validate(_ text: String) throws -> OutboundURL {
        guard text.utf8.count <= 2048, var components = URLComponents(string: text),
              let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let rawHost = components.host, !rawHost.isEmpty else {
            throw OutboundRefusal(.invalidURL, "url must be an http:// or https:// URL of at most 2048 bytes")
        }
        guard components.user == nil, components.password == nil else {
            throw OutboundRefusal(.invalidURL, "url must not carry a user name or password: put credentials in the secret")
        }
        let host = rawHost.lowercased()
        components.scheme = scheme
        components.host = host
        guard allowHosts.isEmpty || allowHosts.contains(host) || allowHosts.contains(Self.bare(host)) else {
            throw OutboundRefusal(.hostNotAllowed, "\(host) is not in webhooks.allowHosts")
        }
        guard let normalized = components.string else { throw OutboundRefusal(.invalidURL, "url is not a valid URL") }
        return OutboundURL(text: normalized, scheme: scheme, host: Self.bare(host), port: components.port ?? (scheme == "https" ? 443 : 80))
    }

    /// Resolves `url`'s host (off the cooperative pool) and returns the address to connect to. Throws when
    /// the host does not resolve, or when any of its addresses is one this policy refuses: a name that mixes
    /// public and private answers is not trusted with either.
    public func resolve(_ url: OutboundURL) async throws -> OutboundTarget {
        OutboundTarget(url: url, address: try await resolve(host: url.host, port: url.port))
    }

    /// The address to connect to for `host` (a name or an address, IPv6 without brackets), under the same
    /// rule as `resolve(_:)`. `settings` names the keys that allow more, for the refusal's message.
    public func resolve(host: String, port: Int, settings: String = "webhooks.allowHosts or webhooks.allowPrivate") async throws -> IPAddress {
        let host = Self.bare(host.lowercased())
        let trusted = allowPrivate || allowHosts.contains(host)
        let addresses: [IPAddress]
        if let literal = IPAddress(host) {
            addresses = [literal]
        } else {
            addresses = try await offThePool { try Self.lookUp(host, port: port) }
        }
        guard let first = addresses.first else { throw OutboundRefusal(.hostNotResolvable, "\(host) has no address") }
        if !trusted {
            let own = await offThePool { Self.interfaceAddresses() }
            if let refused = addresses.first(where: { !$0.isPublic || own.contains($0) }) {
                throw OutboundRefusal(.addressNotAllowed, "\(host) resolves to \(refused), which is not a public address (allow it in \(settings))")
            }
        }
        return first
    }

    private static func bare(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    /// `getaddrinfo`: blocking, so only ever called through `offThePool`.
    private static func lookUp(_ host: String, port: Int) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0 else { throw OutboundRefusal(.hostNotResolvable, "\(host) does not resolve: \(String(cString: gai_strerror(status)))") }
        defer { freeaddrinfo(result) }
        var addresses: [IPAddress] = []
        var entry = result
        while let info = entry {
            if let address = IPAddress(socketAddress: info.pointee.ai_addr), !addresses.contains(address) { addresses.append(address) }
            entry = info.pointee.ai_next
        }
        return addresses
    }

    /// The addresses of this machine's interfaces: "the server itself" under any name.
    private static func interfaceAddresses() -> Set<IPAddress> {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var addresses = Set<IPAddress>()
        var entry = list
        while let interface = entry {
            if let socket = interface.pointee.ifa_addr, let address = IPAddress(socketAddress: socket) { addresses.insert(address) }
            entry = interface.pointee.ifa_next
        }
        return addresses
    }
}

/// A URL that passed `OutboundPolicy.validate`.
public struct OutboundURL: Sendable, Equatable {
    /// The URL with scheme and host in lower case.
    public var text: String
    public var scheme: String
    /// Without IPv6 brackets.
    public var host: String
    public var port: Int
}

/// Where a request goes: the URL (host name kept, for TLS and the Host header) and the checked address.
public struct OutboundTarget: Sendable, Equatable {
    public var url: OutboundURL
    public var address: IPAddress
}

/// Why an outbound URL is refused.
public struct OutboundRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidURL = "invalid_url"
        case hostNotAllowed = "host_not_allowed"
        case hostNotResolvable = "host_not_resolvable"
        case addressNotAllowed = "address_not_allowed"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

extension IPAddress {
    /// The address of a `sockaddr` (IPv4 or IPv6).
    init?(socketAddress: UnsafePointer<sockaddr>) {
        switch Int32(socketAddress.pointee.sa_family) {
        case AF_INET:
            let bytes = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
            }
            self.init(bytes: bytes)
        case AF_INET6:
            let bytes = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
            }
            self.init(bytes: bytes)
        default:
            return nil
        }
    }
}
