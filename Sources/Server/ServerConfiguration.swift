import Foundation
import Alerts
import Recorder
import Media

/// Every setting of the server. Read from YAML (`serve --config`), then overridden by `SENATE_LIVE_…`
/// environment variables (see `ServerConfiguration+Loading.swift` and the README for the list).
public struct ServerConfiguration: Sendable, Equatable {
    public struct HTTP: Sendable, Equatable {
        /// Address to bind; `0.0.0.0` for every interface.
        public var host = "127.0.0.1"
        /// Port; 0 picks a free one (the chosen port is printed as `listening on http://HOST:PORT`).
        public var port = 8080
        /// Seconds a new connection has to send its first request head (slow-loris defence); 408 after.
        public var headerTimeout = 10.0
        /// Seconds that may pass between two pieces of a request body; 408 after.
        public var bodyTimeout = 30.0
        /// Seconds a keep-alive connection may sit between requests before it is closed.
        public var idleTimeout = 60.0
        /// Largest request head (request line and headers), bytes; 431 above.
        public var maxHeaderBytes = 16 * 1024
        /// Open connections per client address (IPv6: per /64); 0 for no limit. Over it: 503.
        public var maxConnectionsPerAddress = 256
        /// Addresses never limited: caching edges or load balancers that connect for many viewers.
        public var connectionLimitExempt: [String] = []
        /// HTTPS with HTTP/2 (ALPN `h2`, HTTP/1.1 for clients without it) on a second port; off when nil.
        public var tls: TLS? = nil
    }

    /// The HTTPS listener: Apple's players take LL-HLS over HTTP/2 only. WebSockets stay on the plain
    /// port (or the edge in front); pages served over HTTPS follow events over SSE.
    public struct TLS: Sendable, Equatable {
        /// Port of the HTTPS listener; 0 picks a free one (printed as `listening on https://HOST:PORT`).
        public var port = 8443
        /// PEM certificate chain file (the server's certificate first).
        public var certificate = ""
        /// PEM private key file.
        public var key = ""

        public init(port: Int = 8443, certificate: String = "", key: String = "") {
            self.port = port
            self.certificate = certificate
            self.key = key
        }
    }

    public struct HLS: Sendable, Equatable {
        /// Longest part in seconds (0.2–1.0). A player holds three parts back from the live edge
        /// (`PART-HOLD-BACK`), so this sets most of the latency a viewer sees: see the README's latency table.
        public var partTarget = 0.333
        /// Segments end at the first keyframe after this many seconds (1–10).
        public var segmentTarget = 2.0
        /// Closed segments listed in a live playlist (delta updates skip all but the last six target durations).
        public var window = 12
        /// Closed segments kept in memory; older ones are read from disk.
        public var memorySegments = 16
        /// Produce the audio-only rendition.
        public var audioRendition = true
        /// Longest wait of a blocking playlist or preload-hint request, seconds; 0: three target durations.
        public var blockingTimeout = 0.0
        /// Lower video renditions encoded from the decoded source, for weak connections (each costs CPU:
        /// see the README's ladder figures). Rungs at or above the source's height are skipped.
        public var ladder: [LadderRung] = []
        /// Audio tracks kept from an input (the first is the floor, the others interpretation).
        public var maxAudioTracks = 4
        /// Names of the audio tracks by position, Thai first; missing ones get a name from their language.
        public var audioNames: [String] = []
        /// libx264 preset of encoded video (`ultrafast` … `medium`): slower presets look better per bit and
        /// cost more CPU.
        public var encoderPreset = "veryfast"
        /// Bits per second of a `source` we encode (an input no player takes); 0 picks one from its height.
        public var sourceBitrate = 0
        /// Hours a viewer may rewind while live when no sitting is open (during a sitting: to its start).
        public var dvrWindow = 6.0
        /// Longest clip (`clip.mp4`), seconds.
        public var maxClipSeconds = 600.0

        public init() {}

        /// What the segmenter is told.
        public var segmentSettings: SegmentSettings {
            SegmentSettings(partTarget: partTarget, segmentTarget: segmentTarget, audioRendition: audioRendition, ladder: ladder,
                            maxAudioTracks: maxAudioTracks, encoderPreset: encoderPreset, sourceBitrate: sourceBitrate)
        }

        /// The audio track name at `position` (0: the floor) with language `language` (ISO 639-2).
        @Sendable public func audioName(position: Int, language: String?) -> String {
            if position < audioNames.count, !audioNames[position].isEmpty { return audioNames[position] }
            if position == 0 { return "เสียงในห้องประชุม / Floor" }
            switch language {
            case "eng": return "ล่ามภาษาอังกฤษ / English interpretation"
            case "tha": return "ล่ามภาษาไทย / Thai interpretation"
            case let code?: return "ล่าม (\(code)) / Interpretation (\(code))"
            case nil: return "ล่าม \(position) / Interpretation \(position)"
            }
        }
    }

    /// One channel and its live input.
    public struct Channel: Sendable, Equatable, Codable {
        public var slug: String
        public var input: Input?

        public init(slug: String, input: Input? = nil) {
            self.slug = slug
            self.input = input
        }
    }

    /// A channel's input; see `IngestSource`.
    public struct Input: Sendable, Equatable, Codable {
        public var url: String
        public var options: [String: String]? = nil
        public var pacing: IngestSource.Pacing? = nil
        public var loop: Bool? = nil
        public var openTimeout: Double? = nil
        public var readTimeout: Double? = nil
        /// `auto` (default), `always` or `never`: see `TranscodePolicy`.
        public var transcode: TranscodePolicy? = nil

        public init(url: String, loop: Bool? = nil) {
            self.url = url
            self.loop = loop
        }

        public var source: IngestSource {
            IngestSource(
                url: url, options: options ?? [:], pacing: pacing ?? .auto, loop: loop ?? false,
                openTimeout: openTimeout ?? 10, readTimeout: readTimeout ?? 5, transcode: transcode ?? .auto
            )
        }
    }

    /// What a node does. One node runs `ingest` (inputs, live HLS origin, archive, webhooks); any number run
    /// `relay` (publishing, WebSocket and SSE subscribers) against one shared `relay.store`.
    public enum Role: String, Sendable, Equatable, Codable, CaseIterable {
        case ingest, relay
    }

    /// Event relay settings.
    public struct RelaySettings: Sendable, Equatable {
        /// The event log: `sqlite` (embedded, one node, under the data folder) or a PostgreSQL URL
        /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=disable|prefer|require]` shared by several nodes.
        public var store = EventStore.sqlite
        /// Shared store: seconds between looks at the table for events whose notification was lost.
        public var sharedLogPoll = 5.0
        /// Events kept per channel for `since` resumes; older ones answer with `gap` + snapshot.
        public var history = 100_000
        /// The newest events per channel kept encoded in memory, so resumes (a reconnect storm after a
        /// restart) replay without reading the log; 0 reads the log for every replay.
        public var recentEvents = 4096
        /// Messages a subscriber may have waiting before it is closed with 4008 (SSE; and WebSocket events
        /// held back during a subscriber's catch-up).
        public var subscriberQueue = 1024
        /// Bytes a WebSocket subscriber may have unsent before it is closed with 4008.
        public var subscriberBufferBytes = 1_048_576
        /// Largest publish body, bytes (413 above).
        public var maxBodyBytes = 1_048_576
        /// Most events in one publish request.
        public var maxBatch = 1000
        /// Largest WebSocket message a client may send.
        public var maxClientMessageBytes = 16 * 1024
        /// Client messages per second per connection (bursts of twice that).
        public var clientMessagesPerSecond = 20
        /// Seconds between server pings; a client that does not answer within this is closed.
        public var pingInterval = 30.0
        /// Offer permessage-deflate (without context takeover: zlib state exists only while a compressed
        /// message passes, so an idle connection costs nothing more).
        public var compression = true
        /// Who serves `/ws`: the relay's own NIO pipeline (`nio`: no task per connection, a few KB each) or
        /// Hummingbird's WebSocket router (`hummingbird`: the previous path, kept as the benchmark's reference).
        public var webSocketServer = WebSocketServer.nio
    }

    /// Who serves `/ws` (`relay.webSocketServer`).
    public enum WebSocketServer: String, Decodable, Sendable, CaseIterable {
        case nio
        case hummingbird
    }

    /// Sittings' archive.
    /// Archive settings (`archive.*`).
    public typealias ArchiveSettings = Recorder.ArchiveSettings

    /// Webhook deliveries.
    /// Webhook delivery settings (`webhooks.*`).
    public typealias WebhookSettings = Alerts.WebhookSettings

    /// What inputs `PUT …/input` may name (inputs in this file are the operator's own and not limited).
    public struct Ingest: Sendable, Equatable {
        /// A folder whose files (and files under it) the API may play as live; empty: no local files
        /// through the API.
        public var fileRoot = ""
        /// Hosts an input given through the API may pull from (http(s), rtsp, rtmp or srt as caller) whatever
        /// they resolve to: the chamber's encoders on the server's own network.
        public var allowHosts: [String] = []
        /// Let inputs given through the API pull from any private or loopback address.
        public var allowPrivate = false

        /// Where pulled inputs may come from.
        public var policy: OutboundPolicy { OutboundPolicy(allowHosts: allowHosts, allowPrivate: allowPrivate) }
    }

    /// Bearer tokens.
    public struct Auth: Sendable, Equatable {
        /// HMAC secret of the JWTs. Empty: a random one per start (tokens then last one run only).
        public var secret = ""
    }

    public var http = HTTP()
    public var relay = RelaySettings()
    public var auth = Auth()
    public var hls = HLS()
    public var archive = ArchiveSettings()
    public var webhooks = WebhookSettings()
    /// Web Push alerts (`alerts.push.*`).
    public var push = PushSettings()
    /// LINE Official Account alerts (`alerts.line.*`).
    public var line = LineSettings()
    public var ingest = Ingest()
    /// Where media segments and the archive live.
    public var dataDirectory = "data"
    /// `trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`.
    public var logLevel = "info"
    /// Seconds a graceful shutdown (SIGTERM) may take; then the process ends whatever is still running.
    public var drainTimeout = 20.0
    public var channels: [Channel] = []
    /// This node's roles; unset means both, which only a node with its own SQLite log may leave unset.
    public var roles: [Role]?

    public init() {}

    public func has(_ role: Role) -> Bool { (roles ?? Role.allCases).contains(role) }
}

/// Where the event log lives (`relay.store`), read once from the configuration's text.
public enum EventStore: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Embedded, one node, under the data folder.
    case sqlite
    /// PostgreSQL shared by several nodes: the URL as configured.
    case postgres(url: String)

    /// `sqlite`, or a `postgres://` / `postgresql://` URL.
    public init(parsing text: String) throws {
        if text == "sqlite" {
            self = .sqlite
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else {
            throw ConfigurationError(key: "relay.store", "sqlite, or a URL postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
    }

    public var isShared: Bool { self != .sqlite }

    /// The URL's password is left out: this is what logs and errors show.
    public var description: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres(let url):
            URLComponents(string: url).map { parts in
                var shown = parts
                if shown.password != nil { shown.password = "***" }
                return shown.string ?? "postgres://…"
            } ?? "postgres://…"
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .sqlite: try container.encode("sqlite")
        case .postgres(let url): try container.encode(url)
        }
    }
}
