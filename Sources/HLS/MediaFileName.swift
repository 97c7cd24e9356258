/// The files a rendition serves. Anything else is not a file of ours: parsing, never path joining,
/// is what keeps `../../etc/passwd` out.
public enum MediaFileName: Equatable, Sendable {
    case playlist
    /// `dvr.m3u8`: every segment since the sitting began (rewinding while live).
    case dvrPlaylist
    /// `init.mp4`: the current generation.
    case currentInitialization
    /// `init-{generation}.mp4`.
    case initialization(Int)
    /// `{msn}.m4s`.
    case segment(Int)
    /// `{msn}.{part}.m4s`.
    case part(msn: Int, index: Int)
    /// `{msn}.vtt` (subtitle rendition).
    case captions(Int)

    public init?(_ name: String) {
        if name == "index.m3u8" { self = .playlist; return }
        if name == "dvr.m3u8" { self = .dvrPlaylist; return }
        if name == "init.mp4" { self = .currentInitialization; return }
        if name.hasPrefix("init-"), name.hasSuffix(".mp4"), let generation = Self.number(name.dropFirst(5).dropLast(4)) {
            self = .initialization(generation)
            return
        }
        if name.hasSuffix(".vtt") {
            guard let msn = Self.number(name.dropLast(4)) else { return nil }
            self = .captions(msn)
            return
        }
        guard name.hasSuffix(".m4s") else { return nil }
        let numbers = name.dropLast(4).split(separator: ".", omittingEmptySubsequences: false)
        switch numbers.count {
        case 1:
            guard let msn = Self.number(numbers[0]) else { return nil }
            self = .segment(msn)
        case 2:
            guard let msn = Self.number(numbers[0]), let index = Self.number(numbers[1]) else { return nil }
            self = .part(msn: msn, index: index)
        default:
            return nil
        }
    }

    /// Digits only (no sign, no spaces), at most 12 of them.
    private static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 12, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(text)
    }
}
