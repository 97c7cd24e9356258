import Foundation
import Media
import Testing
@testable import Server

@Suite("Configuration")
struct ConfigurationTests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/senate-live.yaml").path

    @Test("the annotated example loads and validates, with the field-hardening keys as written")
    func example() throws {
        let configuration = try ServerConfiguration.load(file: Self.example, environment: [:])
        #expect(configuration.http.headerTimeout == 10 && configuration.http.maxConnectionsPerAddress == 256)
        #expect(configuration.drainTimeout == 20 && configuration.relay.recentEvents == 4096)
        #expect(configuration.webhooks.allowPrivate == false && configuration.ingest.fileRoot == "")
        #expect(configuration.hls.ladder == [LadderRung(name: "360p", height: 360, bitrate: 600_000)])
        #expect(configuration.channels.first { $0.slug == "parliament" }?.input?.transcode == .auto)
        #expect(configuration.hls.audioName(position: 1, language: "eng") == "ล่ามภาษาอังกฤษ / English interpretation")
    }

    @Test("the ladder, audio names and transcode policy from the environment; a bad rung names its key")
    func transcodingKeys() throws {
        let configuration = try ServerConfiguration.load(file: nil, environment: [
            "SENATE_LIVE_LADDER": "360p:360:600000,540p:540:1200000", "SENATE_LIVE_CHANNELS": "senate",
            "SENATE_LIVE_CHANNEL_SENATE_INPUT": "udp://127.0.0.1:9000", "SENATE_LIVE_CHANNEL_SENATE_TRANSCODE": "always",
            "SENATE_LIVE_AUDIO_NAMES": "Floor|English", "SENATE_LIVE_DVR_WINDOW": "2",
        ])
        #expect(configuration.hls.ladder.map(\.name) == ["360p", "540p"])
        #expect(configuration.channels.first?.input?.source.transcode == .always)
        #expect(configuration.hls.audioName(position: 1, language: nil) == "English")
        #expect(configuration.hls.audioName(position: 2, language: "fra") == "ล่าม (fra) / Interpretation (fra)")
        #expect(try ServerConfiguration.load(file: nil, environment: ["SENATE_LIVE_LADDER": ""]).hls.ladder.isEmpty)
        for (name, value, key) in [("SENATE_LIVE_LADDER", "360p:tall:1", "SENATE_LIVE_LADDER"), ("SENATE_LIVE_LADDER", "source:360:600000", "hls.ladder"),
                                   ("SENATE_LIVE_LADDER", "../x:360:600000", "hls.ladder"), ("SENATE_LIVE_ENCODER_PRESET", "warp", "hls.encoderPreset")] {
            #expect {
                try ServerConfiguration.load(file: nil, environment: [name: value])
            } throws: { error in
                (error as? ConfigurationError)?.description.contains(key) == true
            }
        }
    }

    @Test("environment variables set the new keys; bad values stop the start with the key named")
    func environment() throws {
        let configuration = try ServerConfiguration.load(file: nil, environment: [
            "SENATE_LIVE_HEADER_TIMEOUT": "2", "SENATE_LIVE_MAX_CONNECTIONS_PER_ADDRESS": "0",
            "SENATE_LIVE_CONNECTION_LIMIT_EXEMPT": "10.0.0.5, 10.0.0.6", "SENATE_LIVE_DRAIN_TIMEOUT": "3",
            "SENATE_LIVE_RECENT_EVENTS": "0", "SENATE_LIVE_WEBHOOK_ALLOW_PRIVATE": "true", "SENATE_LIVE_INPUT_FILE_ROOT": "/srv/media",
        ])
        #expect(configuration.http.headerTimeout == 2 && configuration.http.maxConnectionsPerAddress == 0)
        #expect(configuration.http.connectionLimitExempt == ["10.0.0.5", "10.0.0.6"])
        #expect(configuration.drainTimeout == 3 && configuration.relay.recentEvents == 0)
        #expect(configuration.webhooks.allowPrivate && configuration.ingest.fileRoot == "/srv/media")
        #expect(ServerConfiguration().http.host == "127.0.0.1", "serve binds loopback unless told otherwise")
        for (name, value, key) in [("SENATE_LIVE_HEADER_TIMEOUT", "0", "http.headerTimeout"), ("SENATE_LIVE_DRAIN_TIMEOUT", "0", "drainTimeout"),
                                   ("SENATE_LIVE_MAX_HEADER_BYTES", "10", "http.maxHeaderBytes")] {
            #expect {
                try ServerConfiguration.load(file: nil, environment: [name: value])
            } throws: { error in
                (error as? ConfigurationError)?.description.contains(key) == true
            }
        }
    }
}
