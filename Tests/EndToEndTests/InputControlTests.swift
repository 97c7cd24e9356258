import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

extension EndToEnd {
    @Suite("Input control")
    struct InputControl {
        static func send(_ method: String, _ url: String, token: String?, body: String? = nil) async throws -> HTTP.Reply {
            try await HTTP.send(method, url, body: body.map { Data($0.utf8) }, headers: HTTP.bearer(token))
        }

        @Test("PUT starts or switches the input (a discontinuity follows), DELETE stops it; operators only")
        func startSwitchStop() async throws {
            let server = try ServerProcess(environment: EndToEnd.RelayEndToEnd.environment(["SENATE_LIVE_SEGMENT_TARGET": "2", "SENATE_LIVE_INPUT_FILE_ROOT": Fixtures.folder.path]))
            defer { server.stop() }
            let input = server.baseURL + "/api/v1/channels/senate/input"
            let token = try EndToEnd.RelayEndToEnd.token()
            let body = #"{"url": "\#(try Fixtures.clip().path)", "loop": true}"#

            #expect(try await Self.send("PUT", input, token: nil, body: body).status == 401)
            #expect(try await Self.send("PUT", input, token: try EndToEnd.RelayEndToEnd.token(channel: "parliament"), body: body).status == 403)
            #expect(try await Self.send("PUT", input, token: token, body: "{").status == 400)
            #expect(try await Self.send("DELETE", server.baseURL + "/api/v1/channels/nosuch/input", token: token).status == 404)

            let started = try await Self.send("PUT", input, token: token, body: body)
            #expect(started.status == 202)
            let playlist = server.baseURL + "/live/senate/source/index.m3u8"
            _ = try await HTTP.waitFor(playlist) { PlaylistText(text: $0).segments.count >= 1 }
            #expect(try await HTTP.get(input).text.contains("\"state\":\"live\""))

            // Switching (here: to the same clip) is a new session: discontinuity and a new init section.
            #expect(try await Self.send("PUT", input, token: token, body: body).status == 202)
            let switched = try await HTTP.waitFor(playlist) { $0.contains("#EXT-X-DISCONTINUITY\n") && $0.contains("init-1.mp4") }
            #expect(EndToEnd.currentMap(switched) == "init-1.mp4")

            let stopped = try await Self.send("DELETE", input, token: token)
            #expect(stopped.status == 200 && stopped.text.contains("\"state\":\"stopped\""))
            #expect(try await HTTP.get(playlist).status == 200, "what was recorded stays served")
        }
    
        @Test("overlapping PUTs and a DELETE leave no input running")
        func overlappingSwitches() async throws {
            let server = try ServerProcess(environment: EndToEnd.RelayEndToEnd.environment(["SENATE_LIVE_SEGMENT_TARGET": "1", "SENATE_LIVE_INPUT_FILE_ROOT": Fixtures.folder.path]))
            defer { server.stop() }
            let input = server.baseURL + "/api/v1/channels/senate/input"
            let token = try EndToEnd.RelayEndToEnd.token()
            let body = #"{"url": "\#(try Fixtures.clip().path)", "loop": true}"#
            async let first = Self.send("PUT", input, token: token, body: body)
            async let second = Self.send("PUT", input, token: token, body: body)
            async let third = Self.send("PUT", input, token: token, body: body)
            let started = try await [first, second, third]
            #expect(started.allSatisfy { $0.status == 202 })
            let playlist = server.baseURL + "/live/senate/source/index.m3u8"
            _ = try await HTTP.waitFor(playlist) { PlaylistText(text: $0).segments.count >= 1 }

            let stopped = try await Self.send("DELETE", input, token: token)
            #expect(stopped.text.contains("\"state\":\"stopped\""))
            let before = try await HTTP.get(playlist).text
            try await Task.sleep(for: .seconds(2.5))
            let after = try await HTTP.get(playlist).text
            #expect(after == before, "media kept flowing after DELETE: an input was left running")
        }
    }
}
