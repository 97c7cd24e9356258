import Testing
@testable import Media

@Suite("Input protocols")
struct InputProtocolsTests {
    @Test("each kind of input gets only the protocols it needs; meta-protocols get none")
    func whitelists() {
        #expect(InputProtocols.whitelist(for: "/srv/clip.mp4") == "file")
        #expect(InputProtocols.whitelist(for: "file:///srv/clip.mp4") == "file")
        #expect(InputProtocols.whitelist(for: "UDP://0.0.0.0:9000") == "udp")
        #expect(InputProtocols.whitelist(for: "https://encoder.example/live.m3u8") == "http,https,tcp,tls,crypto")
        #expect(InputProtocols.whitelist(for: "rtmp://0.0.0.0/live/senate") == "rtmp,tcp")
        for url in ["concat:/etc/passwd|/etc/hosts", "subfile,,start,0,end,0,,:/etc/passwd", "pipe:0", "data:text/plain,hi", "gopher://x/", "fd:3"] {
            #expect(InputProtocols.whitelist(for: url) == nil, "\(url)")
        }
        #expect(InputProtocols.scheme(of: "/tmp/a:b.mp4") == nil)
    }

    @Test("SRT's latency is the delivery delay taken off a frame's arrival; other protocols have none")
    func deliveryDelay() {
        #expect(InputProtocols.deliveryDelay(url: "srt://0.0.0.0:9000?mode=listener", options: [:]) == 0.12)
        #expect(InputProtocols.deliveryDelay(url: "srt://0.0.0.0:9000?mode=listener&latency=200000", options: [:]) == 0.2)
        #expect(InputProtocols.deliveryDelay(url: "srt://0.0.0.0:9000", options: ["latency": "50000"]) == 0.05)
        #expect(InputProtocols.deliveryDelay(url: "srt://0.0.0.0:9000?latency=80000", options: ["rcvlatency": "60000"]) == 0.06)
        #expect(InputProtocols.deliveryDelay(url: "srt://0.0.0.0:9000?latency=nonsense", options: [:]) == 0.12)
        #expect(InputProtocols.deliveryDelay(url: "udp://127.0.0.1:9000", options: ["latency": "50000"]) == 0)
        #expect(InputProtocols.deliveryDelay(url: "rtmp://127.0.0.1/live/x", options: [:]) == 0)
    }
}
