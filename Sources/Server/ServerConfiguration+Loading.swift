import Foundation
import Media
import Yams

extension ServerConfiguration {
    /// Reads a YAML file (missing keys keep their defaults), then applies the environment, then validates.
    public static func load(file: String?, environment: [String: String]) throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        if let file {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw ConfigurationError(key: "--config", "cannot read \(file): \(error.localizedDescription)")
            }
            do { configuration = try YAMLDecoder().decode(ServerConfiguration.self, from: text) } catch {
                throw ConfigurationError(key: file, "not a valid configuration: \(error)")
            }
        }
        try configuration.apply(environment: environment)
        try configuration.validate()
        return configuration
    }

    /// `SENATE_LIVE_STORE`, `SENATE_LIVE_SHARED_LOG_POLL`, `SENATE_LIVE_ROLES` (comma list), `SENATE_LIVE_HOST`, `_PORT`, `_DATA_DIR`, `_LOG_LEVEL`, `_PART_TARGET`, `_SEGMENT_TARGET`, `_WINDOW`,
    /// `_MEMORY_SEGMENTS`, `_AUDIO_RENDITION`, `_BLOCKING_TIMEOUT`, `_ARCHIVE_RETENTION_DAYS`, `_ARCHIVE_EXPORT_ON_END`,
    /// `_ARCHIVE_END_WAIT`, `_WEBHOOK_ALLOW_HOSTS` (comma list), `_WEBHOOK_RETRY_BASE`, `_WEBHOOK_RETRY_CAP`,
    /// `_WEBHOOK_RETRY_FOR`, `_WEBHOOK_MAX_FAILURES`, `_WEBHOOK_CONCURRENCY`, `_WEBHOOK_TIMEOUT`; `SENATE_LIVE_CHANNELS=senate,parliament`;
    /// per channel `SENATE_LIVE_CHANNEL_<SLUG>_INPUT`, `_LOOP`, `_PACING`, `_OPEN_TIMEOUT`, `_READ_TIMEOUT`
    /// (slug upper-cased, `-` as `_`).
    public mutating func apply(environment: [String: String]) throws {
        func value(_ name: String) -> String? { environment["SENATE_LIVE_" + name].flatMap { $0.isEmpty ? nil : $0 } }
        func number<T: LosslessStringConvertible>(_ name: String, _ type: T.Type) throws -> T? {
            guard let text = value(name) else { return nil }
            guard let parsed = T(text) else { throw ConfigurationError(key: "SENATE_LIVE_" + name, "not a number: \(text)") }
            return parsed
        }
        func flag(_ name: String) throws -> Bool? {
            guard let text = value(name)?.lowercased() else { return nil }
            switch text {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw ConfigurationError(key: "SENATE_LIVE_" + name, "not a boolean: \(text)")
            }
        }
        if let host = value("HOST") { http.host = host }
        if let port = try number("PORT", Int.self) { http.port = port }
        if let seconds = try number("HEADER_TIMEOUT", Double.self) { http.headerTimeout = seconds }
        if let seconds = try number("BODY_TIMEOUT", Double.self) { http.bodyTimeout = seconds }
        if let seconds = try number("IDLE_TIMEOUT", Double.self) { http.idleTimeout = seconds }
        if let bytes = try number("MAX_HEADER_BYTES", Int.self) { http.maxHeaderBytes = bytes }
        if let count = try number("MAX_CONNECTIONS_PER_ADDRESS", Int.self) { http.maxConnectionsPerAddress = count }
        if let list = value("CONNECTION_LIMIT_EXEMPT") { http.connectionLimitExempt = Self.list(list) }
        if let path = value("TLS_CERTIFICATE") { http.tls = http.tls ?? TLS(); http.tls?.certificate = path }
        if let path = value("TLS_KEY") { http.tls = http.tls ?? TLS(); http.tls?.key = path }
        if let port = try number("TLS_PORT", Int.self) { http.tls = http.tls ?? TLS(); http.tls?.port = port }
        if let seconds = try number("DRAIN_TIMEOUT", Double.self) { drainTimeout = seconds }
        if let directory = value("DATA_DIR") { dataDirectory = directory }
        if let level = value("LOG_LEVEL") { logLevel = level }
        if let part = try number("PART_TARGET", Double.self) { hls.partTarget = part }
        if let segment = try number("SEGMENT_TARGET", Double.self) { hls.segmentTarget = segment }
        if let window = try number("WINDOW", Int.self) { hls.window = window }
        if let memory = try number("MEMORY_SEGMENTS", Int.self) { hls.memorySegments = memory }
        if let audio = try flag("AUDIO_RENDITION") { hls.audioRendition = audio }
        if let timeout = try number("BLOCKING_TIMEOUT", Double.self) { hls.blockingTimeout = timeout }
        if let ladder = environment["SENATE_LIVE_LADDER"] { hls.ladder = try Self.ladder(ladder) }
        if let count = try number("MAX_AUDIO_TRACKS", Int.self) { hls.maxAudioTracks = count }
        if let names = value("AUDIO_NAMES") { hls.audioNames = names.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
        if let preset = value("ENCODER_PRESET") { hls.encoderPreset = preset }
        if let bitrate = try number("SOURCE_BITRATE", Int.self) { hls.sourceBitrate = bitrate }
        if let hours = try number("DVR_WINDOW", Double.self) { hls.dvrWindow = hours }
        if let seconds = try number("MAX_CLIP_SECONDS", Double.self) { hls.maxClipSeconds = seconds }
        if let secret = value("AUTH_SECRET") { auth.secret = secret }
        if let folder = value("INPUT_FILE_ROOT") { ingest.fileRoot = folder }
        if let hosts = value("INPUT_ALLOW_HOSTS") { ingest.allowHosts = Self.list(hosts) }
        if let allow = try flag("INPUT_ALLOW_PRIVATE") { ingest.allowPrivate = allow }
        if let store = value("STORE") { relay.store = try EventStore(parsing: store) }
        if let seconds = try number("SHARED_LOG_POLL", Double.self) { relay.sharedLogPoll = seconds }
        if let list = value("ROLES") {
            roles = try list.split(separator: ",").map { name in
                let trimmed = name.trimmingCharacters(in: .whitespaces)
                guard let role = Role(rawValue: trimmed) else { throw ConfigurationError(key: "SENATE_LIVE_ROLES", "unknown role '\(trimmed)': ingest, relay") }
                return role
            }
        }
        if let history = try number("HISTORY", Int.self) { relay.history = history }
        if let count = try number("RECENT_EVENTS", Int.self) { relay.recentEvents = count }
        if let queue = try number("SUBSCRIBER_QUEUE", Int.self) { relay.subscriberQueue = queue }
        if let bytes = try number("SUBSCRIBER_BUFFER_BYTES", Int.self) { relay.subscriberBufferBytes = bytes }
        if let bytes = try number("MAX_BODY_BYTES", Int.self) { relay.maxBodyBytes = bytes }
        if let rate = try number("CLIENT_MESSAGES_PER_SECOND", Int.self) { relay.clientMessagesPerSecond = rate }
        if let interval = try number("PING_INTERVAL", Double.self) { relay.pingInterval = interval }
        if let compression = try flag("COMPRESSION") { relay.compression = compression }
        if let days = try number("ARCHIVE_RETENTION_DAYS", Double.self) { archive.retentionDays = days }
        if let export = try flag("ARCHIVE_EXPORT_ON_END") { archive.exportOnEnd = export }
        if let wait = try number("ARCHIVE_END_WAIT", Double.self) { archive.endWait = wait }
        if let hosts = value("WEBHOOK_ALLOW_HOSTS") { webhooks.allowHosts = Self.list(hosts) }
        if let allow = try flag("WEBHOOK_ALLOW_PRIVATE") { webhooks.allowPrivate = allow }
        if let seconds = try number("WEBHOOK_RETRY_BASE", Double.self) { webhooks.retryBase = seconds }
        if let seconds = try number("WEBHOOK_RETRY_CAP", Double.self) { webhooks.retryCap = seconds }
        if let seconds = try number("WEBHOOK_RETRY_FOR", Double.self) { webhooks.retryFor = seconds }
        if let count = try number("WEBHOOK_MAX_FAILURES", Int.self) { webhooks.maxFailures = count }
        if let count = try number("WEBHOOK_CONCURRENCY", Int.self) { webhooks.concurrency = count }
        if let seconds = try number("WEBHOOK_TIMEOUT", Double.self) { webhooks.timeout = seconds }
        if let list = value("CHANNELS") {
            let slugs = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            channels = slugs.map { slug in channels.first { $0.slug == slug } ?? Channel(slug: slug) }
        }
        for index in channels.indices {
            let prefix = "CHANNEL_" + channels[index].slug.uppercased().replacingOccurrences(of: "-", with: "_") + "_"
            if let url = value(prefix + "INPUT") {
                channels[index].input = channels[index].input ?? Input(url: url)
                channels[index].input?.url = url
            }
            if let loop = try flag(prefix + "LOOP") { channels[index].input?.loop = loop }
            if let seconds = try number(prefix + "OPEN_TIMEOUT", Double.self) { channels[index].input?.openTimeout = seconds }
            if let seconds = try number(prefix + "READ_TIMEOUT", Double.self) { channels[index].input?.readTimeout = seconds }
            if let policy = value(prefix + "TRANSCODE") {
                guard let parsed = TranscodePolicy(rawValue: policy) else {
                    throw ConfigurationError(key: "SENATE_LIVE_" + prefix + "TRANSCODE", "one of auto, always, never")
                }
                channels[index].input?.transcode = parsed
            }
            if let pacing = value(prefix + "PACING") {
                guard let parsed = IngestSource.Pacing(rawValue: pacing) else {
                    throw ConfigurationError(key: "SENATE_LIVE_" + prefix + "PACING", "one of auto, always, never")
                }
                channels[index].input?.pacing = parsed
            }
        }
    }

    /// `SENATE_LIVE_LADDER`: `name:height:bitsPerSecond` rungs, comma-separated (`360p:360:600000`); empty: none.
    public static func ladder(_ text: String) throws -> [LadderRung] {
        try list(text).map { entry in
            let fields = entry.split(separator: ":").map(String.init)
            guard fields.count == 3, let height = Int(fields[1]), let bitrate = Int(fields[2]) else {
                throw ConfigurationError(key: "SENATE_LIVE_LADDER", "'\(entry)' is not name:height:bitsPerSecond")
            }
            return LadderRung(name: fields[0], height: height, bitrate: bitrate)
        }
    }

    /// A comma list of an environment variable, trimmed, without empty entries.
    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Rejects settings the server cannot honour, naming the key.
    public func validate() throws {
        guard (0...65535).contains(http.port) else { throw ConfigurationError(key: "http.port", "must be 0–65535") }
        for (key, seconds) in [("http.headerTimeout", http.headerTimeout), ("http.bodyTimeout", http.bodyTimeout), ("http.idleTimeout", http.idleTimeout)] {
            guard (0.5...3600).contains(seconds) else { throw ConfigurationError(key: key, "must be 0.5–3600 seconds") }
        }
        guard (1024...1_048_576).contains(http.maxHeaderBytes) else { throw ConfigurationError(key: "http.maxHeaderBytes", "must be 1024–1048576") }
        guard http.maxConnectionsPerAddress >= 0 else { throw ConfigurationError(key: "http.maxConnectionsPerAddress", "must be 0 (no limit) or more") }
        guard (1...600).contains(drainTimeout) else { throw ConfigurationError(key: "drainTimeout", "must be 1–600 seconds") }
        if let tls = http.tls {
            guard (0...65535).contains(tls.port) else { throw ConfigurationError(key: "http.tls.port", "must be 0–65535") }
            for (key, path) in [("http.tls.certificate", tls.certificate), ("http.tls.key", tls.key)] {
                guard !path.isEmpty else { throw ConfigurationError(key: key, "is required with http.tls (a PEM file)") }
                guard FileManager.default.isReadableFile(atPath: path) else { throw ConfigurationError(key: key, "cannot read \(path)") }
            }
        }
        guard (0.2...1.0).contains(hls.partTarget) else { throw ConfigurationError(key: "hls.partTarget", "must be 0.2–1.0 seconds") }
        guard (1...10).contains(hls.segmentTarget) else { throw ConfigurationError(key: "hls.segmentTarget", "must be 1–10 seconds") }
        guard hls.segmentTarget >= hls.partTarget * 2 else { throw ConfigurationError(key: "hls.segmentTarget", "must hold at least two parts") }
        guard hls.window >= 3 else { throw ConfigurationError(key: "hls.window", "must be at least 3 segments") }
        var rungNames = Set<String>()
        for rung in hls.ladder {
            // A rung's name is a URL path component next to the fixed renditions.
            guard rung.name.range(of: "^[a-z0-9][a-z0-9_-]{0,31}$", options: .regularExpression) != nil,
                  !Rendition.all(ladder: [], maxAudioTracks: 8).contains(rung.name), !["subtitles", "dvr"].contains(rung.name), rungNames.insert(rung.name).inserted else {
                throw ConfigurationError(key: "hls.ladder", "rung name '\(rung.name)' must match [a-z0-9][a-z0-9_-]{0,31}, be unique and not name another rendition")
            }
            guard (90...2160).contains(rung.height) else { throw ConfigurationError(key: "hls.ladder", "rung \(rung.name): height must be 90–2160") }
            guard (50_000...50_000_000).contains(rung.bitrate) else { throw ConfigurationError(key: "hls.ladder", "rung \(rung.name): bitrate must be 50000–50000000 bits per second") }
        }
        guard (1...8).contains(hls.maxAudioTracks) else { throw ConfigurationError(key: "hls.maxAudioTracks", "must be 1–8") }
        let presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"]
        guard presets.contains(hls.encoderPreset) else { throw ConfigurationError(key: "hls.encoderPreset", "one of \(presets.joined(separator: ", "))") }
        guard hls.sourceBitrate == 0 || (100_000...50_000_000).contains(hls.sourceBitrate) else {
            throw ConfigurationError(key: "hls.sourceBitrate", "0 (by height) or 100000–50000000 bits per second")
        }
        guard (0...168).contains(hls.dvrWindow) else { throw ConfigurationError(key: "hls.dvrWindow", "must be 0–168 hours") }
        guard (1...7200).contains(hls.maxClipSeconds) else { throw ConfigurationError(key: "hls.maxClipSeconds", "must be 1–7200 seconds") }
        guard auth.secret.isEmpty || auth.secret.utf8.count >= 32 else {
            throw ConfigurationError(key: "auth.secret", "must be at least 32 bytes (HS256 needs a key as long as its hash)")
        }
        guard roles?.isEmpty != true else { throw ConfigurationError(key: "roles", "name at least one of ingest, relay") }
        // Nodes sharing a log must say which one ingests: left to the default, every node would run the
        // webhooks and the archive, and each webhook would go out once per node.
        guard !relay.store.isShared || roles != nil else {
            throw ConfigurationError(key: "roles", "relay.store is shared: set roles on every node (ingest on exactly one, e.g. ingest,relay; relay on the others)")
        }
        guard relay.sharedLogPoll >= 0.1 else { throw ConfigurationError(key: "relay.sharedLogPoll", "must be at least 0.1 seconds") }
        guard relay.history >= 1 else { throw ConfigurationError(key: "relay.history", "must be at least 1") }
        guard (0...1_000_000).contains(relay.recentEvents) else { throw ConfigurationError(key: "relay.recentEvents", "must be 0–1000000") }
        guard relay.subscriberBufferBytes >= 16 * 1024 else {
            throw ConfigurationError(key: "relay.subscriberBufferBytes", "must be at least 16384")
        }
        guard relay.subscriberQueue >= 8 else { throw ConfigurationError(key: "relay.subscriberQueue", "must be at least 8") }
        guard relay.maxBodyBytes >= 1024 else { throw ConfigurationError(key: "relay.maxBodyBytes", "must be at least 1024") }
        guard relay.clientMessagesPerSecond >= 1 else { throw ConfigurationError(key: "relay.clientMessagesPerSecond", "must be at least 1") }
        guard archive.retentionDays >= 0 else { throw ConfigurationError(key: "archive.retentionDays", "must be 0 (keep for ever) or more") }
        guard (0...300).contains(archive.endWait) else { throw ConfigurationError(key: "archive.endWait", "must be 0–300 seconds") }
        guard webhooks.retryBase > 0, webhooks.retryCap >= webhooks.retryBase else {
            throw ConfigurationError(key: "webhooks.retryBase", "must be above 0 and at most webhooks.retryCap")
        }
        guard webhooks.maxFailures >= 1, webhooks.concurrency >= 1, webhooks.timeout > 0, webhooks.retryFor >= 0 else {
            throw ConfigurationError(key: "webhooks", "maxFailures and concurrency must be at least 1, timeout above 0")
        }
        var seen = Set<String>()
        for channel in channels {
            guard ChannelSlug.isValid(channel.slug) else {
                throw ConfigurationError(key: "channels", "slug '\(channel.slug)' must match [a-z0-9-]{1,64}")
            }
            guard seen.insert(channel.slug).inserted else { throw ConfigurationError(key: "channels", "slug '\(channel.slug)' twice") }
        }
    }
}

/// Channel slugs: `[a-z0-9-]{1,64}`.
public enum ChannelSlug {
    public static func isValid(_ slug: String) -> Bool {
        !slug.isEmpty && slug.utf8.count <= 64 && slug.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    }
}
