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
}
