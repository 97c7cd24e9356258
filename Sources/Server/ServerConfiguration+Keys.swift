import Foundation
import Media
import Yams

/// One configuration setting, declared once: its YAML path, its environment variable, how each form sets
/// it, and an example of each. The YAML file and `apply(environment:)` are both read through this table;
/// the tests set every key both ways and compare, and check that the README's configuration table names
/// each one. (Channels, a list in YAML and per slug in the environment, are read separately.)
struct SettingKey {
    /// Where it sits in the YAML file (`relay.history`).
    let path: String
    /// Its environment variable without the `SENATE_LIVE_` prefix.
    let variable: String
    /// A valid value as the variable's text, and the same value in YAML.
    let example: (environment: String, yaml: String)
    /// An empty variable sets the key (`SENATE_LIVE_LADDER=""`: no rungs) instead of being ignored.
    var takesEmpty = false
    /// From the environment variable's text.
    let set: (inout ServerConfiguration, String) throws -> Void
    /// From the YAML node at `path`.
    let read: (inout ServerConfiguration, Node) throws -> Void

    var environmentName: String { "SENATE_LIVE_" + variable }
}

extension SettingKey {
    /// A key whose YAML value decodes as `T` and whose variable's text `parse` reads; a value that does not
    /// read is an error naming the variable or the YAML path.
    static func typed<T: Decodable>(
        _ path: String, _ variable: String, _ keyPath: WritableKeyPath<ServerConfiguration, T>,
        example: (environment: String, yaml: String), takesEmpty: Bool = false, parse: @escaping (String) throws -> T
    ) -> SettingKey {
        SettingKey(path: path, variable: variable, example: example, takesEmpty: takesEmpty) { configuration, text in
            do { configuration[keyPath: keyPath] = try parse(text) } catch let error as InvalidText {
                throw ConfigurationError(key: "SENATE_LIVE_" + variable, error.message)
            }
        } read: { configuration, node in
            do { configuration[keyPath: keyPath] = try YAMLDecoder().decode(T.self, from: node) } catch let error as ConfigurationError {
                throw error
            } catch {
                throw ConfigurationError(key: path, "not a valid value: \(node.string.map { "'\($0)'" } ?? "this kind of value") (expected \(T.self))")
            }
        }
    }

    /// Why a variable's text does not read (the caller names the variable).
    struct InvalidText: Error {
        let message: String
    }

    static func parseNumber<T: LosslessStringConvertible>(_ text: String) throws -> T {
        guard let value = T(text) else { throw InvalidText(message: "not a number: \(text)") }
        return value
    }

    /// 1/true/yes/on or 0/false/no/off.
    static func parseFlag(_ text: String) throws -> Bool {
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw InvalidText(message: "not a boolean: \(text)")
        }
    }

    static func number<T: LosslessStringConvertible & Decodable>(
        _ path: String, _ variable: String, _ keyPath: WritableKeyPath<ServerConfiguration, T>, example: String
    ) -> SettingKey {
        typed(path, variable, keyPath, example: (example, example), parse: parseNumber)
    }

    /// `example`: the value the tests set (the opposite of the default, so they see it change).
    static func flag(_ path: String, _ variable: String, _ keyPath: WritableKeyPath<ServerConfiguration, Bool>, example: Bool) -> SettingKey {
        typed(path, variable, keyPath, example: (example ? "on" : "off", example ? "true" : "false"), parse: parseFlag)
    }

    static func text(_ path: String, _ variable: String, _ keyPath: WritableKeyPath<ServerConfiguration, String>, example: String) -> SettingKey {
        typed(path, variable, keyPath, example: (example, "\"\(example)\""), parse: { $0 })
    }

    /// A comma list in the environment, a sequence in YAML.
    static func list(_ path: String, _ variable: String, _ keyPath: WritableKeyPath<ServerConfiguration, [String]>) -> SettingKey {
        typed(path, variable, keyPath, example: ("a.example, b.example", "[a.example, b.example]"), parse: ServerConfiguration.list)
    }
}

extension ServerConfiguration {
    /// Every setting but the channels, in the README's order.
    static var settingKeys: [SettingKey] {
        [
            .text("http.host", "HOST", \.http.host, example: "0.0.0.0"),
            .number("http.port", "PORT", \.http.port, example: "9090"),
            .number("http.headerTimeout", "HEADER_TIMEOUT", \.http.headerTimeout, example: "5.5"),
            .number("http.bodyTimeout", "BODY_TIMEOUT", \.http.bodyTimeout, example: "12.0"),
            .number("http.idleTimeout", "IDLE_TIMEOUT", \.http.idleTimeout, example: "90.0"),
            .number("http.maxHeaderBytes", "MAX_HEADER_BYTES", \.http.maxHeaderBytes, example: "8192"),
            .number("http.maxConnectionsPerAddress", "MAX_CONNECTIONS_PER_ADDRESS", \.http.maxConnectionsPerAddress, example: "64"),
            .list("http.connectionLimitExempt", "CONNECTION_LIMIT_EXEMPT", \.http.connectionLimitExempt),
            // Any of the three adds the HTTPS listener.
            .number("http.tls.port", "TLS_PORT", \.tls.port, example: "8444"),
            .text("http.tls.certificate", "TLS_CERTIFICATE", \.tls.certificate, example: "/etc/tls/cert.pem"),
            .text("http.tls.key", "TLS_KEY", \.tls.key, example: "/etc/tls/key.pem"),
            .number("drainTimeout", "DRAIN_TIMEOUT", \.drainTimeout, example: "7.5"),
            .text("dataDirectory", "DATA_DIR", \.dataDirectory, example: "/var/lib/senate-live"),
            .text("logLevel", "LOG_LEVEL", \.logLevel, example: "debug"),
            .number("hls.partTarget", "PART_TARGET", \.hls.partTarget, example: "0.5"),
            .number("hls.segmentTarget", "SEGMENT_TARGET", \.hls.segmentTarget, example: "4.0"),
            .number("hls.window", "WINDOW", \.hls.window, example: "8"),
            .number("hls.memorySegments", "MEMORY_SEGMENTS", \.hls.memorySegments, example: "20"),
            .flag("hls.audioRendition", "AUDIO_RENDITION", \.hls.audioRendition, example: false),
            .number("hls.blockingTimeout", "BLOCKING_TIMEOUT", \.hls.blockingTimeout, example: "3.0"),
            .typed("hls.ladder", "LADDER", \.hls.ladder, example: ("360p:360:600000", "[{name: 360p, height: 360, bitrate: 600000}]"),
                   takesEmpty: true, parse: ServerConfiguration.ladder),
            .number("hls.maxAudioTracks", "MAX_AUDIO_TRACKS", \.hls.maxAudioTracks, example: "2"),
            .typed("hls.audioNames", "AUDIO_NAMES", \.hls.audioNames, example: ("ห้องประชุม | English", "[ห้องประชุม, English]")) { text in
                text.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            },
            .text("hls.encoderPreset", "ENCODER_PRESET", \.hls.encoderPreset, example: "faster"),
            .number("hls.sourceBitrate", "SOURCE_BITRATE", \.hls.sourceBitrate, example: "3000000"),
            .number("hls.dvrWindow", "DVR_WINDOW", \.hls.dvrWindow, example: "2.0"),
            .number("hls.maxClipSeconds", "MAX_CLIP_SECONDS", \.hls.maxClipSeconds, example: "120.0"),
            .text("auth.secret", "AUTH_SECRET", \.auth.secret, example: "0123456789abcdef0123456789abcdef"),
            .typed("roles", "ROLES", \.roles, example: ("relay", "[relay]")) { text in
                try text.split(separator: ",").map { name in
                    let trimmed = name.trimmingCharacters(in: .whitespaces)
                    guard let role = Role(rawValue: trimmed) else { throw SettingKey.InvalidText(message: "unknown role '\(trimmed)': ingest, relay") }
                    return role
                }
            },
            .typed("relay.store", "STORE", \.relay.store, example: ("postgres://u:p@db:5432/senate", "\"postgres://u:p@db:5432/senate\"")) {
                try EventStore(parsing: $0)
            },
            .number("relay.sharedLogPoll", "SHARED_LOG_POLL", \.relay.sharedLogPoll, example: "2.5"),
            .number("relay.history", "HISTORY", \.relay.history, example: "5000"),
            .number("relay.recentEvents", "RECENT_EVENTS", \.relay.recentEvents, example: "100"),
            .number("relay.subscriberQueue", "SUBSCRIBER_QUEUE", \.relay.subscriberQueue, example: "64"),
            .number("relay.subscriberBufferBytes", "SUBSCRIBER_BUFFER_BYTES", \.relay.subscriberBufferBytes, example: "65536"),
            .flag("relay.compression", "COMPRESSION", \.relay.compression, example: false),
            .typed("relay.webSocketServer", "WEBSOCKET_SERVER", \.relay.webSocketServer, example: ("hummingbird", "hummingbird")) { text in
                guard let server = ServerConfiguration.WebSocketServer(rawValue: text) else {
                    throw SettingKey.InvalidText(message: "'\(text)' is not nio or hummingbird")
                }
                return server
            },
            .number("relay.maxBodyBytes", "MAX_BODY_BYTES", \.relay.maxBodyBytes, example: "4096"),
            .number("relay.maxBatch", "MAX_BATCH", \.relay.maxBatch, example: "50"),
            .number("relay.clientMessagesPerSecond", "CLIENT_MESSAGES_PER_SECOND", \.relay.clientMessagesPerSecond, example: "5"),
            .number("relay.maxClientMessageBytes", "MAX_CLIENT_MESSAGE_BYTES", \.relay.maxClientMessageBytes, example: "4096"),
            .number("relay.pingInterval", "PING_INTERVAL", \.relay.pingInterval, example: "15.0"),
            .number("archive.retentionDays", "ARCHIVE_RETENTION_DAYS", \.archive.retentionDays, example: "30.0"),
            .flag("archive.exportOnEnd", "ARCHIVE_EXPORT_ON_END", \.archive.exportOnEnd, example: false),
            .number("archive.endWait", "ARCHIVE_END_WAIT", \.archive.endWait, example: "5.0"),
            .list("webhooks.allowHosts", "WEBHOOK_ALLOW_HOSTS", \.webhooks.allowHosts),
            .flag("webhooks.allowPrivate", "WEBHOOK_ALLOW_PRIVATE", \.webhooks.allowPrivate, example: true),
            .number("webhooks.retryBase", "WEBHOOK_RETRY_BASE", \.webhooks.retryBase, example: "2.0"),
            .number("webhooks.retryCap", "WEBHOOK_RETRY_CAP", \.webhooks.retryCap, example: "60.0"),
            .number("webhooks.retryFor", "WEBHOOK_RETRY_FOR", \.webhooks.retryFor, example: "3600.0"),
            .number("webhooks.maxFailures", "WEBHOOK_MAX_FAILURES", \.webhooks.maxFailures, example: "5"),
            .number("webhooks.concurrency", "WEBHOOK_CONCURRENCY", \.webhooks.concurrency, example: "2"),
            .number("webhooks.timeout", "WEBHOOK_TIMEOUT", \.webhooks.timeout, example: "3.0"),
            .number("webhooks.keepDays", "WEBHOOK_KEEP_DAYS", \.webhooks.keepDays, example: "3.0"),
            .flag("alerts.push.enabled", "PUSH_ENABLED", \.push.enabled, example: false),
            .text("alerts.push.vapidPrivateKey", "PUSH_VAPID_PRIVATE_KEY", \.push.vapidPrivateKey, example: "8xQbF0XzBqYlC5DqW0F4w2q3tHqWmT1cYV6m3b0e0Zk"),
            .text("alerts.push.subject", "PUSH_SUBJECT", \.push.subject, example: "mailto:ops@senate.example"),
            .list("alerts.push.allowHosts", "PUSH_ALLOW_HOSTS", \.push.allowHosts),
            .flag("alerts.push.allowPrivate", "PUSH_ALLOW_PRIVATE", \.push.allowPrivate, example: true),
            .number("alerts.push.ttl", "PUSH_TTL", \.push.ttl, example: "600.0"),
            .number("alerts.push.concurrency", "PUSH_CONCURRENCY", \.push.concurrency, example: "16"),
            .number("alerts.push.connectionsPerHost", "PUSH_CONNECTIONS_PER_HOST", \.push.connectionsPerHost, example: "8"),
            .number("alerts.push.timeout", "PUSH_TIMEOUT", \.push.timeout, example: "5.0"),
            .number("alerts.push.batch", "PUSH_BATCH", \.push.batch, example: "200"),
            .number("alerts.push.maxFollows", "PUSH_MAX_FOLLOWS", \.push.maxFollows, example: "20"),
            .number("alerts.push.maxKeywords", "PUSH_MAX_KEYWORDS", \.push.maxKeywords, example: "5"),
            .number("alerts.push.callsPerMinute", "PUSH_CALLS_PER_MINUTE", \.push.callsPerMinute, example: "10"),
            .text("alerts.line.channelAccessToken", "LINE_CHANNEL_ACCESS_TOKEN", \.line.channelAccessToken, example: "line-token"),
            .text("alerts.line.channelSecret", "LINE_CHANNEL_SECRET", \.line.channelSecret, example: "line-secret"),
            .text("alerts.line.apiBase", "LINE_API_BASE", \.line.apiBase, example: "http://127.0.0.1:8099"),
            .number("alerts.line.monthlyBudget", "LINE_MONTHLY_BUDGET", \.line.monthlyBudget, example: "5000"),
            .text("alerts.line.publicURL", "LINE_PUBLIC_URL", \.line.publicURL, example: "https://live.senate.example"),
            .flag("alerts.line.allowPrivate", "LINE_ALLOW_PRIVATE", \.line.allowPrivate, example: true),
            .number("alerts.line.retryFor", "LINE_RETRY_FOR", \.line.retryFor, example: "600.0"),
            .number("alerts.line.timeout", "LINE_TIMEOUT", \.line.timeout, example: "5.0"),
            .number("alerts.line.maxFollows", "LINE_MAX_FOLLOWS", \.line.maxFollows, example: "5"),
            .number("alerts.push.changesPerEndpointPerMinute", "PUSH_CHANGES_PER_ENDPOINT_PER_MINUTE", \.push.changesPerEndpointPerMinute, example: "3"),
            .text("ingest.fileRoot", "INPUT_FILE_ROOT", \.ingest.fileRoot, example: "/srv/recordings"),
            .list("ingest.allowHosts", "INPUT_ALLOW_HOSTS", \.ingest.allowHosts),
            .flag("ingest.allowPrivate", "INPUT_ALLOW_PRIVATE", \.ingest.allowPrivate, example: true),
        ]
    }
}

extension ServerConfiguration {
    /// `http.tls`, created with its defaults when first set.
    fileprivate var tls: TLS {
        get { http.tls ?? TLS() }
        set { http.tls = newValue }
    }
}

extension ServerConfiguration {
    /// Reads a YAML file's text through `settingKeys` (missing keys keep their defaults) and `channels`.
    /// A key the table does not know is an error naming it: a misspelt setting is not silently ignored.
    init(yaml text: String) throws {
        self.init()
        guard let root = try Yams.compose(yaml: text) else { return }
        guard let mapping = root.mapping else { throw ConfigurationError(key: "config", "must be a mapping of settings") }
        let keys = Dictionary(uniqueKeysWithValues: Self.settingKeys.map { ($0.path, $0) })
        try read(mapping, prefix: "", keys: keys)
    }

    private mutating func read(_ mapping: Node.Mapping, prefix: String, keys: [String: SettingKey]) throws {
        for (name, value) in mapping {
            let path = prefix + (name.string ?? "")
            // `key:` with nothing (or `~`, `null`) keeps the default, as a missing key does.
            if value.null != nil, value.mapping == nil, value.sequence == nil {
                guard keys[path] != nil || path == "channels" || keys.keys.contains(where: { $0.hasPrefix(path + ".") }) else {
                    throw ConfigurationError(key: path, "unknown setting")
                }
                continue
            }
            if path == "channels" {
                do { channels = try YAMLDecoder().decode([Channel].self, from: value) } catch let error as ConfigurationError {
                    throw error
                } catch {
                    throw ConfigurationError(key: "channels", "not a valid channel list: \(error)")
                }
            } else if let key = keys[path] {
                try key.read(&self, value)
            } else if let nested = value.mapping, keys.keys.contains(where: { $0.hasPrefix(path + ".") }) {
                // `http.tls: {}` alone asks for the HTTPS listener with its defaults.
                if path == "http.tls" { http.tls = http.tls ?? TLS() }
                try read(nested, prefix: path + ".", keys: keys)
            } else {
                let siblings = Set(keys.keys.filter { $0.hasPrefix(prefix) }.compactMap { $0.dropFirst(prefix.count).split(separator: ".").first.map(String.init) }
                    + (prefix.isEmpty ? ["channels"] : [])).sorted()
                throw ConfigurationError(key: path, "unknown setting; known here: \(siblings.joined(separator: ", "))")
            }
        }
    }
}
