import ArgumentParser
import Foundation
import WallClock
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Relay

/// `senate-live publish --channel senate Samples/sitting.jsonl`: sends a scripted sitting to a server.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "publish", abstract: "Send a scripted sitting (JSON Lines) to a server's publish API.")

    @Argument(help: "Script: one event per line, with `offset` seconds instead of `at`.")
    var file: String

    @Option(name: .long, help: "Channel to publish to.")
    var channel: String

    @Option(name: .long, help: "Server base URL.")
    var url = "http://127.0.0.1:8080"

    @Option(name: .long, help: "Operator token (default: $SENATE_LIVE_TOKEN).")
    var token: String?

    @Flag(name: .long, help: "Send everything at once in batches instead of pacing by offset.")
    var fast = false

    func run() async throws {
        guard let token = token ?? ProcessInfo.processInfo.environment["SENATE_LIVE_TOKEN"] else {
            throw ValidationError("pass --token or set SENATE_LIVE_TOKEN (mint one with `senate-live token --channel \(channel)`)")
        }
        let script = try SittingScript(text: try String(contentsOfFile: file, encoding: .utf8))
        let start = Date()
        let drafts = script.lines.map { ($0.offset, SittingScript.draft($0, start: start)) }
        if fast {
            for batch in stride(from: 0, to: drafts.count, by: 100) {
                try await send(drafts[batch..<min(drafts.count, batch + 100)].map(\.1), token: token, batch: true)
            }
            return
        }
        for (offset, draft) in drafts {
            let wait = start.addingTimeInterval(offset).timeIntervalSinceNow
            if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
            try await send([draft], token: token, batch: false)
        }
    }

    private func send(_ drafts: [EventDraft], token: String, batch: Bool) async throws {
        let bodies: [JSONValue] = drafts.map { draft in
            var fields: [String: JSONValue] = ["type": .string(draft.type.rawValue), "data": draft.data]
            if let id = draft.id { fields["id"] = .string(id) }
            if let at = draft.at { fields["at"] = .string(ISO8601.format(at)) }
            return .object(fields)
        }
        var request = URLRequest(url: URL(string: "\(url)/api/v1/channels/\(channel)/events")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONEncoder().encode(batch ? JSONValue.array(bodies) : bodies[0])
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let text = String(decoding: data, as: UTF8.self)
        guard status == 201 else { throw ValidationError("the server answered \(status): \(text)") }
        print(text)
    }
}
