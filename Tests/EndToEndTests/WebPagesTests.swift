import Foundation
import Testing

extension EndToEnd {
    @Suite("Web pages")
    struct WebPagesEndToEnd {
        /// Screenshots land here for a person to look at (`.build/screenshots`, ignored by git).
        static let screenshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/screenshots")

        @Test("viewer, console, archive and embed in headless Chromium: playback, live updates within a second, a vote from the console, chapter seek")
        func pagesInChromium() async throws {
            let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Samples/chamber.mp4")
            let server = try ServerProcess(environment: EndToEnd.RelayEndToEnd.environment(EndToEnd.liveEnvironment(input: sample.path)))
            defer { server.stop() }
            _ = try await HTTP.waitFor(server.baseURL + "/live/senate/source/index.m3u8", timeout: 40) { PlaylistText(text: $0).segments.count >= 3 }

            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/browser_check.py")
            let run = try Tool.run("python3", [script.path, server.baseURL, try EndToEnd.RelayEndToEnd.token(), Self.screenshots.path], timeout: 300)
            #expect(run.succeeded, "\(run.stderr)\n\(run.stdout)\nserver log:\n\(server.log.suffix(3000))")
            print("browser check: \(run.stdout)")
            for name in ["viewer", "console", "archive-sitting", "archive-search", "embed"] {
                let size = (try? FileManager.default.attributesOfItem(atPath: Self.screenshots.appendingPathComponent("\(name).png").path))?[.size] as? Int ?? 0
                #expect(size > 10_000, "screenshot \(name).png")
            }
        }

        @Test("the viewer reconnects by itself after a server restart, with jittered backoff, and shows each event once")
        func viewerSurvivesRestart() throws {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/reconnect_check.py")
            let outcome = try RestartDrill(environment: EndToEnd.RelayEndToEnd.environment()).run(script: script, checkTimeout: 90) { base in
                [base, try EndToEnd.RelayEndToEnd.token()]
            }
            #expect(outcome.status == 0, "\(outcome.errors)")
        }

        @Test("the page's reducer (sitting-state.js) turns the shared fixture's events into the same snapshots ChannelState does")
        func pageReducerMatchesFixture() throws {
            let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            let fixture = tests.appendingPathComponent("Fixtures/sitting-state.json")
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/sitting_state_check.py")
            let server = try ServerProcess(environment: EndToEnd.RelayEndToEnd.environment())
            defer { server.stop() }
            let run = try Tool.run("python3", [script.path, server.baseURL, fixture.path], timeout: 120)
            #expect(run.succeeded, "\(run.stderr)\n\(run.stdout)")
            print("sitting-state check: \(run.stdout)")
        }

        @Test("pages, assets and their errors: unknown channel 404, traversal in asset names 404, / redirects to the first channel")
        func pagesAndAssets() async throws {
            let server = try ServerProcess(environment: EndToEnd.RelayEndToEnd.environment())
            defer { server.stop() }
            for (path, type) in [("/watch/senate", "text/html"), ("/console/senate", "text/html"), ("/embed/senate", "text/html"),
                                 ("/archive", "text/html"), ("/archive/20261123-senate-1", "text/html"), ("/assets/viewer.js", "text/javascript"),
                                 ("/assets/app.css", "text/css")] {
                let reply = try await HTTP.get(server.baseURL + path)
                #expect(reply.status == 200 && reply.header("Content-Type")?.hasPrefix(type) == true, "\(path)")
            }
            let page = try await HTTP.get(server.baseURL + "/watch/senate")
            #expect(page.text.contains("<html lang=\"th\">") && page.text.contains("data-lang=\"en\""))
            for path in ["/watch/nope", "/assets/..%2F..%2FPackage.swift", "/assets/viewer.html", "/assets/.hidden.js", "/console/..%2Fsenate"] {
                #expect(try await HTTP.get(server.baseURL + path).status == 404, "\(path)")
            }
            let root = try Tool.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", server.baseURL + "/"])
            #expect(root.stdout == "302 \(server.baseURL)/watch/senate")
        }
    }
}
