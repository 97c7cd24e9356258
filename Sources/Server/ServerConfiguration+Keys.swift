import Foundation
import Media

/// One configuration setting, declared once: its YAML path, its environment variable, how the variable's
/// text sets it, and an example of each form. `apply(environment:)` is driven by this table; the tests set
/// every key both ways and compare, and check that the README's configuration table names each one.
/// (Channels, configured per slug, are read separately.)
struct SettingKey {
    /// Where it sits in the YAML file (`relay.history`).
    let path: String
    /// Its environment variable without the `SENATE_LIVE_` prefix.
    let variable: String
    /// A valid value as the variable's text, and the same value in YAML.
    let example: (environment: String, yaml: String)
    /// An empty variable sets the key (`SENATE_LIVE_LADDER=""`: no rungs) instead of being ignored.
    var takesEmpty = false
    let set: (inout ServerConfiguration, String) throws -> Void

    var environmentName: String { "SENATE_LIVE_" + variable }
}

extension SettingKey {
    /// A number in an environment variable's text; the error names the variable.
    static func parseNumber<T: LosslessStringConvertible>(_ text: String, _ type: T.Type, variable: String) throws -> T {
        guard let value = T(text) else { throw ConfigurationError(key: "SENATE_LIVE_" + variable, "not a number: \(text)") }
        return value
    }

    /// 1/true/yes/on or 0/false/no/off.
    static func parseFlag(_ text: String, variable: String) throws -> Bool {
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError(key: "SENATE_LIVE_" + variable, "not a boolean: \(text)")
        }
    }

    static func number<T: LosslessStringConvertible>(
        _ path: String, _ variable: String, _ keyPath: WritableKeyPath<ServerConfiguration, T>, example: String
    ) -> SettingKey {
        SettingKey(path: path, variable: variable, example: (example, example)) { configuration, text in
            configuration[keyPath: keyPath] = try parseNumber(text, T.self, variable: variable)
        }
    }

    /// `example`: the value the tests set (the opposite of the default, so they see it change).
    static func flag(_ path: String, _ variable: String, _ keyPath: WritableKeyPath<ServerConfiguration, Bool>, example: Bool) -> SettingKey {
        SettingKey(path: path, variable: variable, example: (example ? "on" : "off", example ? "true" : "false")) { configuration, text in
            configuration[keyPath: keyPath] = try parseFlag(text, variable: variable)
        }
    }

    static func text(_ path: String, _ variable: String, _ keyPath: WritableKeyPath<ServerConfiguration, String>, example: String) -> SettingKey {
        SettingKey(path: path, variable: variable, example: (example, "\"\(example)\"")) { configuration, text in
            configuration[keyPath: keyPath] = text
        }
    }

    /// A comma list in the environment, a sequence in YAML.
    static func list(_ path: String, _ variable: String, _ keyPath: WritableKeyPath<ServerConfiguration, [String]>) -> SettingKey {
        SettingKey(path: path, variable: variable, example: ("a.example, b.example", "[a.example, b.example]")) { configuration, text in
            configuration[keyPath: keyPath] = ServerConfiguration.list(text)
        }
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
            SettingKey(path: "http.tls.port", variable: "TLS_PORT", example: ("8444", "8444")) { configuration, text in
                configuration.tls.port = try SettingKey.parseNumber(text, Int.self, variable: "TLS_PORT")
            },
            SettingKey(path: "http.tls.certificate", variable: "TLS_CERTIFICATE", example: ("/etc/tls/cert.pem", "/etc/tls/cert.pem")) { configuration, text in
                configuration.tls.certificate = text
            },
            SettingKey(path: "http.tls.key", variable: "TLS_KEY", example: ("/etc/tls/key.pem", "/etc/tls/key.pem")) { configuration, text in
                configuration.tls.key = text
            },
            .number("drainTimeout", "DRAIN_TIMEOUT", \.drainTimeout, example: "7.5"),
            .text("dataDirectory", "DATA_DIR", \.dataDirectory, example: "/var/lib/senate-live"),
            .text("logLevel", "LOG_LEVEL", \.logLevel, example: "debug"),
            .number("hls.partTarget", "PART_TARGET", \.hls.partTarget, example: "0.5"),
            .number("hls.segmentTarget", "SEGMENT_TARGET", \.hls.segmentTarget, example: "4.0"),
            .number("hls.window", "WINDOW", \.hls.window, example: "8"),
            .number("hls.memorySegments", "MEMORY_SEGMENTS", \.hls.memorySegments, example: "20"),
            .flag("hls.audioRendition", "AUDIO_RENDITION", \.hls.audioRendition, example: false),
            .number("hls.blockingTimeout", "BLOCKING_TIMEOUT", \.hls.blockingTimeout, example: "3.0"),
            SettingKey(path: "hls.ladder", variable: "LADDER", example: ("360p:360:600000", "[{name: 360p, height: 360, bitrate: 600000}]"), takesEmpty: true) { configuration, text in
                configuration.hls.ladder = try ServerConfiguration.ladder(text)
            },
            .number("hls.maxAudioTracks", "MAX_AUDIO_TRACKS", \.hls.maxAudioTracks, example: "2"),
            SettingKey(path: "hls.audioNames", variable: "AUDIO_NAMES", example: ("ห้องประชุม | English", "[ห้องประชุม, English]")) { configuration, text in
                configuration.hls.audioNames = text.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            },
            .text("hls.encoderPreset", "ENCODER_PRESET", \.hls.encoderPreset, example: "faster"),
            .number("hls.sourceBitrate", "SOURCE_BITRATE", \.hls.sourceBitrate, example: "3000000"),
            .number("hls.dvrWindow", "DVR_WINDOW", \.hls.dvrWindow, example: "2.0"),
            .number("hls.maxClipSeconds", "MAX_CLIP_SECONDS", \.hls.maxClipSeconds, example: "120.0"),
            .text("auth.secret", "AUTH_SECRET", \.auth.secret, example: "0123456789abcdef0123456789abcdef"),
            SettingKey(path: "roles", variable: "ROLES", example: ("relay", "[relay]")) { configuration, text in
                configuration.roles = try text.split(separator: ",").map { name in
                    let trimmed = name.trimmingCharacters(in: .whitespaces)
                    guard let role = Role(rawValue: trimmed) else { throw ConfigurationError(key: "SENATE_LIVE_ROLES", "unknown role '\(trimmed)': ingest, relay") }
                    return role
                }
            },
            SettingKey(path: "relay.store", variable: "STORE", example: ("postgres://u:p@db:5432/senate", "\"postgres://u:p@db:5432/senate\"")) { configuration, text in
                configuration.relay.store = try EventStore(parsing: text)
            },
            .number("relay.sharedLogPoll", "SHARED_LOG_POLL", \.relay.sharedLogPoll, example: "2.5"),
            .number("relay.history", "HISTORY", \.relay.history, example: "5000"),
            .number("relay.recentEvents", "RECENT_EVENTS", \.relay.recentEvents, example: "100"),
            .number("relay.subscriberQueue", "SUBSCRIBER_QUEUE", \.relay.subscriberQueue, example: "64"),
            .number("relay.subscriberBufferBytes", "SUBSCRIBER_BUFFER_BYTES", \.relay.subscriberBufferBytes, example: "65536"),
            .flag("relay.compression", "COMPRESSION", \.relay.compression, example: false),
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
