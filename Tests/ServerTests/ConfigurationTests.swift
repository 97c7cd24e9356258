import Foundation
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
