import Foundation
import Testing
import WallClock
@testable import Relay

/// The shared fixture (`Tests/Fixtures/sitting-state.json`): events → the snapshot the channel shows after
/// them. The pages' reducer (`sitting-state.js`) runs the same cases in Chromium (`WebPagesTests`), so the
/// server's snapshot and a page that watched the sitting live cannot disagree.
@Suite("Snapshot fixture shared with the pages")
struct SnapshotFixtureTests {
    struct Case: Decodable, CustomTestStringConvertible {
        struct WireEvent: Decodable {
            var seq: Int64
            var id: String
            var sitting: String?
            var type: EventType
            var at: String
            var data: JSONValue
        }
        var name: String
        var events: [WireEvent]
        var snapshot: JSONValue
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/sitting-state.json")
        struct File: Decodable { var cases: [Case] }
        return (try? JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases) ?? []
    }()

    /// JSON text with sorted keys, so two encodings of the same value compare equal.
    static func canonical(_ data: Data) throws -> String {
        let object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
    }

    @Test("the fixture has the cases, the late joiner's among them")
    func fixtureLoads() {
        #expect(Self.cases.count >= 6)
        #expect(Self.cases.contains { $0.name.contains("late joiner") })
    }

    @Test("ChannelState gives each case's snapshot, with the seq and sitting ids the relay assigns", arguments: cases)
    func snapshot(_ fixture: Case) async throws {
        var state = ChannelState()
        var seq: Int64 = 0
        for wire in fixture.events {
            let at = try #require(ISO8601.parse(wire.at), "\(wire.at)")
            let draft = EventDraft(id: wire.id, type: wire.type, at: at, data: wire.data)
            // The relay's own path: validate, number, name the sitting, apply.
            let batch = try await Batch(channel: "senate", drafts: [draft], isBatch: false, now: at, head: (seq, state)) { _ in nil }
            let event = try #require(batch.fresh.first)
            #expect(event.seq == wire.seq, "seq of \(wire.id)")
            #expect(event.sitting == wire.sitting, "sitting of \(wire.id)")
            (seq, state) = (event.seq, batch.state)
        }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .wallClock
        let ours = try Self.canonical(try encoder.encode(state.snapshot))
        let expected = try Self.canonical(try JSONEncoder().encode(fixture.snapshot))
        #expect(ours == expected)
    }
}
