/// The FFmpeg protocols an input may use, by the kind of source its URL names. It goes to
/// `avformat_open_input` as `protocol_whitelist`, which FFmpeg also applies to everything the input opens
/// in turn (an HLS playlist's segments and keys, an RTSP session's RTP streams): an `https://` playlist
/// cannot make FFmpeg read `file:///etc/passwd`, and meta-protocols such as `concat:`, `subfile:`,
/// `pipe:` or `data:` are never available.
public enum InputProtocols {
    /// The protocol FFmpeg would pick for `url`, in lower case, or nil for a plain path (a local file). The
    /// same rule as FFmpeg's `url_find_protocol`: the leading run of scheme characters when a `:` follows
    /// it (`concat:`, `pipe:` and `udp://` alike), and `subfile,…:`.
    public static func scheme(of url: String) -> String? {
        let schemeCharacters = url.utf8.prefix { byte in
            (0x61...0x7A).contains(byte | 0x20) || (0x30...0x39).contains(byte) || byte == 0x2B || byte == 0x2D || byte == 0x2E
        }
        let rest = url.utf8.dropFirst(schemeCharacters.count)
        if rest.first == UInt8(ascii: ":"), !schemeCharacters.isEmpty { return String(decoding: schemeCharacters, as: UTF8.self).lowercased() }
        if url.lowercased().hasPrefix("subfile,"), url.contains(":") { return "subfile" }
        return nil
    }

    /// The whitelist for `url`; nil when the scheme is not one an input may use.
    public static func whitelist(for url: String) -> String? {
        switch scheme(of: url) {
        case nil, "file"?: "file"
        case "udp"?: "udp"
        case "rtp"?: "rtp,udp"
        case "srt"?: "srt"
        case "rtmp"?: "rtmp,tcp"
        case "rtmps"?: "rtmps,rtmp,tls,tcp"
        case "rtsp"?: "rtsp,rtp,udp,tcp"
        case "rtsps"?: "rtsps,rtsp,rtp,udp,tcp,tls"
        case "http"?, "https"?: "http,https,tcp,tls,crypto"
        default: nil
        }
    }

    /// Seconds a protocol deliberately holds media before handing it on, so the wall clock of a frame is its
    /// arrival minus this: SRT delivers each packet `latency` after it was sent (`latency` or `rcvlatency`,
    /// microseconds, in the options or the URL's query; libsrt's default 120 ms). Others: 0.
    public static func deliveryDelay(url: String, options: [String: String]) -> Double {
        guard scheme(of: url) == "srt" else { return 0 }
        var values = options
        if let query = url.split(separator: "?", maxSplits: 1).dropFirst().first {
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { values[parts[0]] = parts[1] }
            }
        }
        let micros = (values["rcvlatency"] ?? values["latency"]).flatMap(Double.init) ?? 120_000
        return max(0, min(micros, 10_000_000)) / 1e6
    }

    /// The schemes accepted, for error messages.
    public static let schemes = ["file (a path)", "udp", "rtp", "srt", "rtmp", "rtmps", "rtsp", "rtsps", "http", "https"]
}
