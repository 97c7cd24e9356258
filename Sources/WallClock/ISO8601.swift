import Foundation

/// ISO 8601 / RFC 3339 date-times on the proleptic Gregorian calendar, written with milliseconds and `Z`:
/// the one format of event `at` times and `EXT-X-PROGRAM-DATE-TIME`, so the two clocks compare as text too.
///
/// Hand-written rather than Foundation's `ISO8601FormatStyle`, whose calendar turns Julian before 1582
/// (`1000-01-01` read back as `1000-01-06`) and whose year 0 prints as `-001`: here parse and format are
/// exact inverses for every millisecond, by construction.
public enum ISO8601 {
    /// The dates the server accepts from publishers and stores: 1900-01-01T00:00:00Z up to, not
    /// including, 2200-01-01T00:00:00Z. Anything outside is refused before it is stored.
    public static let supportedRange = Date(timeIntervalSince1970: -2_208_988_800) ..< Date(timeIntervalSince1970: 7_258_118_400)

    /// Whether `date` lies in `supportedRange`.
    public static func isSupported(_ date: Date) -> Bool { supportedRange.contains(date) }

    /// Reads `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM|±HH)` (`t` and `z` also in lower case).
    /// Nil for anything else, including impossible dates (`2026-02-30`) and leap seconds.
    public static func parse(_ text: String) -> Date? {
        var scanner = DigitScanner(Array(text.utf8))
        guard let year = scanner.number(4), scanner.take("-"), let month = scanner.number(2), scanner.take("-"),
              let day = scanner.number(2), scanner.take("T") || scanner.take("t"),
              let hour = scanner.number(2), scanner.take(":"), let minute = scanner.number(2), scanner.take(":"),
              let second = scanner.number(2) else { return nil }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 60 else { return nil }
        var fraction = 0, digits = 0
        if scanner.take(".") {
            while let digit = scanner.digit() {
                guard digits < 9 else { return nil }
                fraction = fraction * 10 + digit
                digits += 1
            }
            guard digits > 0 else { return nil }
        }
        guard let offset = scanner.offset(), scanner.isAtEnd else { return nil }
        let seconds = Int64(daysFromCivil(year: year, month: month, day: day)) * 86_400
            + Int64(hour * 3600 + minute * 60 + second) - Int64(offset)
        if digits <= 3 {
            // Exactly what `millisecond(_:)` makes of the same instant, so stored text reads back equal.
            let millis = seconds * 1000 + Int64(fraction * [1000, 100, 10, 1][digits])
            return Date(timeIntervalSince1970: Double(millis) / 1000)
        }
        return Date(timeIntervalSince1970: Double(seconds) + Double(fraction) / pow(10, Double(digits)))
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, rounded to the millisecond (a Double holding .359 may print as .358 when
    /// truncated), so parse → format → parse gives back the same text.
    public static func format(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (days, millisOfDay) = floorDivision(millis, 86_400_000)
        let (year, month, day) = civil(fromDays: days)
        let seconds = Int(millisOfDay / 1000)
        var text = year >= 0 && year <= 9999 ? padded(year, 4) : (year < 0 ? "-" : "+") + padded(abs(year), 6)
        text += "-" + padded(month, 2) + "-" + padded(day, 2) + "T" + padded(seconds / 3600, 2) + ":"
        text += padded(seconds / 60 % 60, 2) + ":" + padded(seconds % 60, 2) + "." + padded(Int(millisOfDay % 1000), 3) + "Z"
        return text
    }

    /// `date` rounded to the millisecond: what is stored and sent.
    public static func millisecond(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    // MARK: Proleptic Gregorian arithmetic (days since 1970-01-01; H. Hinnant's civil-date algorithms)

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = Int(days) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
        return (quotient, value - quotient * divisor)
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

/// Reads the fixed-width fields of a date-time.
private struct DigitScanner {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { index == bytes.count }

    mutating func digit() -> Int? {
        guard index < bytes.count, (0x30...0x39).contains(bytes[index]) else { return nil }
        defer { index += 1 }
        return Int(bytes[index] - 0x30)
    }

    /// Exactly `width` digits.
    mutating func number(_ width: Int) -> Int? {
        var value = 0
        for _ in 0..<width {
            guard let digit = digit() else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    mutating func take(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(character.value) else { return false }
        index += 1
        return true
    }

    /// The zone designator as seconds east of UTC.
    mutating func offset() -> Int? {
        if take("Z") || take("z") { return 0 }
        let sign: Int
        if take("+") { sign = 1 } else if take("-") { sign = -1 } else { return nil }
        guard let hours = number(2), hours < 24 else { return nil }
        var minutes = 0
        if !isAtEnd {
            _ = take(":")
            guard let value = number(2), value < 60 else { return nil }
            minutes = value
        }
        return sign * (hours * 3600 + minutes * 60)
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
    /// Reads what `.wallClock` writes (and ISO 8601 without fractional seconds or with an offset).
    public static let wallClock = JSONDecoder.DateDecodingStrategy.custom { decoder in
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = ISO8601.parse(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 date: \(text)"))
        }
        return date
    }
}
