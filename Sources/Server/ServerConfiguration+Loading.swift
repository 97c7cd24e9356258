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
            do { configuration = try ServerConfiguration(yaml: text) } catch let error as ConfigurationError {
                throw error
            } catch {
                throw ConfigurationError(key: file, "not a valid configuration: \(error)")
            }
        }
        try configuration.apply(environment: environment)
        try configuration.validate()
        return configuration
    }

    /// The environment over the file: every key of `settingKeys` (`SENATE_LIVE_` + its variable), then
    /// `SENATE_LIVE_CHANNELS=senate,parliament` and per channel `SENATE_LIVE_CHANNEL_<SLUG>_INPUT`, `_LOOP`,
    /// `_PACING`, `_OPEN_TIMEOUT`, `_READ_TIMEOUT`, `_TRANSCODE` (slug upper-cased, `-` as `_`).
    public mutating func apply(environment: [String: String]) throws {
        func value(_ name: String) -> String? { environment["SENATE_LIVE_" + name].flatMap { $0.isEmpty ? nil : $0 } }
        func parsed<T>(_ name: String, _ parse: (String) throws -> T) throws -> T? {
            guard let text = value(name) else { return nil }
            do { return try parse(text) } catch let error as SettingKey.InvalidText {
                throw ConfigurationError(key: "SENATE_LIVE_" + name, error.message)
            }
        }
        func number<T: LosslessStringConvertible>(_ name: String, _ type: T.Type) throws -> T? { try parsed(name, SettingKey.parseNumber) }
        func flag(_ name: String) throws -> Bool? { try parsed(name, SettingKey.parseFlag) }
        for key in Self.settingKeys {
            guard let text = environment[key.environmentName], key.takesEmpty || !text.isEmpty else { continue }
            try key.set(&self, text)
        }
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
