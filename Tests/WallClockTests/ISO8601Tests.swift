import Foundation
import Testing
@testable import WallClock

@Suite("ISO 8601 on the proleptic Gregorian calendar")
struct ISO8601Tests {
    /// Milliseconds since 1970 of each text, as Python's `datetime` (proleptic Gregorian) computes them.
    static let known: [(String, Int64)] = [
        ("2026-11-22T09:41:07.250Z", 1_795_340_467_250),
        ("2000-02-29T23:59:59.999Z", 951_868_799_999),
        ("1582-10-10T00:00:00.000Z", -12_219_724_800_000),
        ("1000-01-01T00:00:00.000Z", -30_610_224_000_000),
        ("0001-01-01T00:00:00.000Z", -62_135_596_800_000),
        ("1900-01-01T00:00:00.000Z", -2_208_988_800_000),
        ("1970-01-01T00:00:00.000Z", 0),
    ]

    @Test("known instants parse to the right time and format back to the same text")
    func knownInstants() throws {
        for (text, millis) in Self.known {
            let date = try #require(ISO8601.parse(text), "\(text)")
            #expect(Int64((date.timeIntervalSince1970 * 1000).rounded()) == millis, "\(text)")
            #expect(ISO8601.format(date) == text)
        }
    }

    @Test("year 0 and dates before 1582 do not shift")
    func earlyDates() throws {
        for text in ["0000-01-01T00:00:00.000Z", "1000-01-01T00:00:00.000Z", "1582-10-05T12:00:00.000Z"] {
            #expect(ISO8601.format(try #require(ISO8601.parse(text))) == text)
        }
    }

    @Test("offsets, lower case and fractions of any length are read; the text written is UTC with milliseconds")
    func variants() throws {
        let expected = "2026-11-22T09:41:07.250Z"
        for text in ["2026-11-22T16:41:07.250+07:00", "2026-11-22T16:41:07.25+0700", "2026-11-22t09:41:07.250z",
                     "2026-11-22T09:41:07.250000Z", "2026-11-22T04:41:07.25-05", "2026-11-22T09:41:07.2504Z"] {
            #expect(ISO8601.format(try #require(ISO8601.parse(text), "\(text)")) == expected, "\(text)")
        }
        #expect(ISO8601.format(try #require(ISO8601.parse("2026-11-22T09:41:07Z"))) == "2026-11-22T09:41:07.000Z")
    }

    @Test("impossible or malformed date-times are refused")
    func refused() {
        for text in ["2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T23:59:60Z",
                     "2026-13-01T00:00:00Z", "2026-11-22 09:41:07Z", "2026-11-22T09:41:07", "2026-11-22T09:41:07.Z",
                     "26-11-22T09:41:07Z", "2026-11-22T09:41:07Zjunk", "2026-11-22T09:41:07+25:00", "",
                     "2026-11-22T09:41:07.1234567890Z", "２０２６-11-22T09:41:07Z"] {
            #expect(ISO8601.parse(text) == nil, "\(text)")
        }
    }

    @Test("every stored millisecond reads back equal, across the supported range")
    func roundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        let low = Int64(ISO8601.supportedRange.lowerBound.timeIntervalSince1970 * 1000)
        let high = Int64(ISO8601.supportedRange.upperBound.timeIntervalSince1970 * 1000) - 1
        for millis in [low, high, -1, 0, 1] + (0..<20_000).map({ _ in Int64.random(in: low...high, using: &generator) }) {
            let date = ISO8601.millisecond(Date(timeIntervalSince1970: Double(millis) / 1000))
            let text = ISO8601.format(date)
            #expect(ISO8601.parse(text) == date, "\(millis) \(text)")
            #expect(ISO8601.format(try #require(ISO8601.parse(text))) == text)
        }
    }

    @Test("the supported range is 1900 up to 2200")
    func range() throws {
        #expect(ISO8601.isSupported(try #require(ISO8601.parse("1900-01-01T00:00:00Z"))))
        #expect(ISO8601.isSupported(try #require(ISO8601.parse("2199-12-31T23:59:59.999Z"))))
        #expect(!ISO8601.isSupported(try #require(ISO8601.parse("2200-01-01T00:00:00Z"))))
        #expect(!ISO8601.isSupported(try #require(ISO8601.parse("1899-12-31T23:59:59.999Z"))))
        #expect(!ISO8601.isSupported(try #require(ISO8601.parse("0000-01-01T00:00:00Z"))))
    }
}
