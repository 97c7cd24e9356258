/// Turns the ISO 639-2 codes containers carry (`tha`, `eng`) into the shortest BCP 47 tag (`th`, `en`),
/// which HLS `LANGUAGE` and browsers' track lists expect.
public enum LanguageTag {
    private static let twoLetter: [String: String] = [
        "tha": "th", "eng": "en", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de", "zho": "zh", "chi": "zh", "jpn": "ja",
        "kor": "ko", "msa": "ms", "may": "ms", "vie": "vi", "lao": "lo", "khm": "km", "mya": "my", "bur": "my", "ind": "id",
        "spa": "es", "rus": "ru", "ara": "ar", "hin": "hi", "por": "pt", "ita": "it", "nld": "nl", "dut": "nl", "fil": "fil",
    ]

    /// nil for a missing, `und` or malformed code.
    public static func bcp47(_ code: String?) -> String? {
        guard let code = code?.lowercased(), code != "und", (2...3).contains(code.count), code.allSatisfy({ $0.isASCII && $0.isLetter }) else { return nil }
        return twoLetter[code] ?? code
    }
}
