import Foundation

/// Media made for the tests with `ffmpeg -f lavfi`: small, H.264 + AAC, keyframe every second.
enum Fixtures {
    static let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("senate-live-fixtures-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// A clip of `seconds`, 320x240 (or `size`) at 25 fps, GOP 1 s. `faststart`: moov before mdat.
    static func clip(seconds: Int = 6, faststart: Bool = true, size: String = "320x240") throws -> URL {
        let url = folder.appendingPathComponent("clip-\(seconds)-\(faststart ? "fast" : "plain")-\(size).mp4")
        if FileManager.default.fileExists(atPath: url.path) { return url }
        let inputs = lavfiInputs.map { $0.replacingOccurrences(of: "size=320x240", with: "size=\(size)") }
        var arguments = inputs + ["-t", "\(seconds)"] + encoding
        if faststart { arguments += ["-movflags", "+faststart"] }
        let result = try Tool.run("ffmpeg", arguments + ["-y", url.path])
        guard result.succeeded else { throw FixtureError(message: "ffmpeg failed: \(result.stderr.suffix(500))") }
        return url
    }

    /// A clip with two audio tracks, the floor (`tha`, 440 Hz) and an interpretation (`eng`, 880 Hz).
    static func bilingualClip(seconds: Int = 10) throws -> URL {
        let url = folder.appendingPathComponent("bilingual-\(seconds).mp4")
        if FileManager.default.fileExists(atPath: url.path) { return url }
        let arguments = lavfiInputs + ["-f", "lavfi", "-i", "sine=frequency=880:sample_rate=48000", "-t", "\(seconds)", "-map", "0", "-map", "1", "-map", "2"]
            + encoding + ["-metadata:s:a:0", "language=tha", "-metadata:s:a:1", "language=eng", "-movflags", "+faststart"]
        let result = try Tool.run("ffmpeg", arguments + ["-y", url.path])
        guard result.succeeded else { throw FixtureError(message: "ffmpeg failed: \(result.stderr.suffix(500))") }
        return url
    }

    /// The first `fraction` of a clip's bytes.
    static func truncated(_ source: URL, fraction: Double, name: String) throws -> URL {
        let data = try Data(contentsOf: source)
        let url = folder.appendingPathComponent(name)
        try data.prefix(Int(Double(data.count) * fraction)).write(to: url)
        return url
    }

    /// Random bytes with a media-looking name.
    static func garbage(name: String = "garbage.mp4", bytes: Int = 200_000) throws -> URL {
        let url = folder.appendingPathComponent(name)
        var generator = SystemRandomNumberGenerator()
        try Data((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: url)
        return url
    }

    static let lavfiInputs = [
        "-hide_banner", "-loglevel", "error",
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
    ]

    static let encoding = [
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
        "-c:a", "aac", "-b:a", "64k", "-ac", "2",
    ]

    /// Arguments for a live MPEG-TS publisher on UDP (real time, like a broadcast encoder).
    static func udpPublisher(port: Int) -> [String] {
        ["-re"] + lavfiInputs + encoding + ["-tune", "zerolatency", "-f", "mpegts", "udp://127.0.0.1:\(port)?pkt_size=1316"]
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A self-signed certificate for 127.0.0.1 (openssl), for the HTTPS listeners.
enum SelfSigned {
    static func make(in folder: URL) throws -> (certificate: URL, key: URL) {
        let certificate = folder.appendingPathComponent("tls.crt"), key = folder.appendingPathComponent("tls.key")
        let made = try Tool.run("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.path, "-out", certificate.path,
        ])
        guard made.succeeded else { throw FixtureError(message: "openssl: \(made.stderr)") }
        return (certificate, key)
    }
}
