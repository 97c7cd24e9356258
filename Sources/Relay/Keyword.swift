import Foundation

/// Keyword matching on what is said. Thai is written without spaces between words, so a keyword is
/// looked for anywhere inside the text, not at word boundaries; Latin letters match in any case and
/// full-width forms as their ASCII. The comparison is by `Character` (grapheme cluster), so a Thai
/// keyword never matches half a syllable: "กา" is not found in "ก่า", whose tone mark belongs to the
/// same cluster as its consonant.
public enum Keyword {
    /// The longest keyword, in characters.
    public static let maxLength = 64
    /// The shortest: a single letter would match nearly every line said.
    public static let minLength = 2

    /// `text` as keywords are compared: canonical composition, case folded, width folded, runs of white
    /// space as one space, trimmed.
    public static func fold(_ text: String) -> String {
        let folded = text.precomposedStringWithCanonicalMapping.folding(options: [.caseInsensitive, .widthInsensitive], locale: nil)
        return folded.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Whether `text` says `keyword`, both already folded (`fold`): the one comparison every follower of
    /// keywords uses (WebSocket filters, the push and LINE outboxes).
    public static func says(_ text: String, _ keyword: String) -> Bool {
        !keyword.isEmpty && text.contains(keyword)
    }

    /// The first of `keywords` (as given) that `text` says, or nil.
    public static func firstMatch(of keywords: [String], in text: String) -> String? {
        let haystack = fold(text)
        return keywords.first { says(haystack, fold($0)) }
    }
}
