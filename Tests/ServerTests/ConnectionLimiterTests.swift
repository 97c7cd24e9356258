import NIOCore
import Testing
@testable import Server

@Suite("Connection limiter")
struct ConnectionLimiterTests {
    @Test("at most perAddress connections per address; released ones make room; exempt and unlimited addresses pass")
    func limits() throws {
        let limiter = ConnectionLimiter(perAddress: 2, exempt: ["10.0.0.9"])
        let client = try SocketAddress(ipAddress: "192.0.2.7", port: 1)
        let first = try #require(limiter.admit(client))
        #expect(limiter.admit(client) != nil)
        #expect(limiter.admit(client) == nil)
        limiter.release(first)
        #expect(limiter.admit(client) != nil)
        for _ in 0..<5 { #expect(limiter.admit(try SocketAddress(ipAddress: "10.0.0.9", port: 1)) != nil) }
        let open = ConnectionLimiter(perAddress: 0, exempt: [])
        for _ in 0..<5 { #expect(open.admit(client) != nil) }
    }

    @Test("IPv6 clients count per /64; IPv4-mapped addresses as IPv4")
    func keys() {
        #expect(ConnectionLimiter.key("2001:db8:1:2:aaaa::1") == ConnectionLimiter.key("2001:db8:1:2:bbbb::2"))
        #expect(ConnectionLimiter.key("2001:db8:1:2::1") != ConnectionLimiter.key("2001:db8:1:3::1"))
        #expect(ConnectionLimiter.key("::ffff:192.0.2.7") == "192.0.2.7")
        #expect(ConnectionLimiter.key("192.0.2.7") == "192.0.2.7")
    }
}
