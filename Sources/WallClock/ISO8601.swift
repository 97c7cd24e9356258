import Foundation

/// ISO 8601 dates with or without fractional seconds; written with milliseconds and `Z`. The one format of
/// event `at` times and `EXT-X-PROGRAM-DATE-TIME`, so the two clocks compare as text too.
public enum ISO8601 {
    public static func parse(_ text: String) -> Date? {
        (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle()))
    }

    /// Rounds to the millisecond, so parse → format → parse gives back the same text (a Double holding
    /// .359 may print as .358 when truncated).
    public static func format(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(millis - seconds * 1000)
        )
    }

    /// `date` rounded to the millisecond: what is stored and sent.
    public static func millisecond(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }
}

extension JSONEncoder.DateEncodingStrategy {
    /// Dates as `ISO8601.format` writes them: every JSON the server stores or sends uses this.
    public static let wallClock = JSONEncoder.DateEncodingStrategy.custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(ISO8601.format(date))
    }
}

extension JSONDecoder.DateDecodingStrategy {
    /// Reads what `.wallClock` writes (and ISO 8601 without fractional seconds).
    public static let wallClock = JSONDecoder.DateDecodingStrategy.custom { decoder in
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = ISO8601.parse(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 date: \(text)"))
        }
        return date
    }
}
