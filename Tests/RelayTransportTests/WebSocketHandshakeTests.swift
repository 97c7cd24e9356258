import NIOCore
import Testing
@testable import RelayTransport

@Suite("WebSocket handshake on the relay's own pipeline")
struct WebSocketHandshakeTests {
    static let browser = "GET /ws HTTP/1.1\r\nHost: live.senate.example\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"

    @Test("a browser's upgrade is recognised; other requests, bodies and odd heads are left to HTTP")
    func recognises() {
        #expect(WebSocketRequest.headers(ofUpgrade: Self.browser, path: "/ws")?.count == 6)
        #expect(WebSocketRequest.headers(ofUpgrade: Self.browser.replacingOccurrences(of: "GET /ws ", with: "GET /ws?token=a "), path: "/ws") != nil)
        for (change, to) in [
            ("GET /ws ", "GET /wsx "), ("GET /ws ", "POST /ws "), ("HTTP/1.1\r\nHost", "HTTP/1.0\r\nHost"),
            ("Upgrade: websocket", "Upgrade: h2c"), ("keep-alive, Upgrade", "keep-alive"),
            ("Host: live", "Content-Length: 5\r\nHost: live"), ("Host: live", "Transfer-Encoding: chunked\r\nHost: live"),
            ("Host: live.senate.example\r\n", "Host: live\r\n folded\r\n"), ("Host: live", "Broken header\r\nHost: live"),
        ] {
            #expect(WebSocketRequest.headers(ofUpgrade: Self.browser.replacingOccurrences(of: change, with: to), path: "/ws") == nil, "\(to)")
        }
    }

    static let deflate = OnDemandDeflateBuilder(clientMaxWindow: 10, serverMaxWindow: 10, compressionLevel: 6, memoryLevel: 2, maxDecompressedFrameSize: 16_384, minFrameSizeToCompress: 1024)

    @Test("the accept key is RFC 6455's; permessage-deflate is agreed without context takeover; bad versions and keys are refused")
    func answers() throws {
        let headers = try #require(WebSocketRequest.headers(ofUpgrade: Self.browser, path: "/ws"))
        guard case .accept(let response, let deflate) = WebSocketEndpoint.handshake(headers: headers, deflate: Self.deflate) else {
            Issue.record("refused")
            return
        }
        let text = String(buffer: response)
        #expect(text.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        #expect(text.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"))
        #expect(text.contains("client_no_context_takeover") && text.contains("server_no_context_takeover"))
        #expect(text.hasSuffix("\r\n\r\n") && deflate)
        guard case .accept(let plain, false) = WebSocketEndpoint.handshake(headers: headers, deflate: nil) else {
            Issue.record("refused without deflate")
            return
        }
        #expect(!String(buffer: plain).contains("Sec-WebSocket-Extensions"))
        let version8 = headers.map { $0.name == "Sec-WebSocket-Version" ? ($0.name, "8") : $0 }
        guard case .refuse(426, _, _, let extra) = WebSocketEndpoint.handshake(headers: version8, deflate: nil) else {
            Issue.record("version 8 accepted")
            return
        }
        #expect(extra.contains { $0.0 == "Sec-WebSocket-Version" && $0.1 == "13" })
        for key in [nil, "short", "dGhlIHNhbXBsZSBub25jZQ==AAAA"] {
            var changed = headers.filter { $0.name != "Sec-WebSocket-Key" }
            if let key { changed.append(("Sec-WebSocket-Key", key)) }
            guard case .refuse(400, "bad_request", _, _) = WebSocketEndpoint.handshake(headers: changed, deflate: nil) else {
                Issue.record("key \(key ?? "missing") accepted")
                continue
            }
        }
    }
}
