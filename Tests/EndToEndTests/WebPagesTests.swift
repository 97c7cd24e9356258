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
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("senate-live-pages-\(UUID().uuidString)")
            var server = try ServerProcess(environment: EndToEnd.RelayEndToEnd.environment(), dataDirectory: folder)
            let ready = folder.appendingPathComponent("page-ready")
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/reconnect_check.py")
            let page = Process()
            page.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            page.arguments = ["python3", script.path, server.baseURL, try EndToEnd.RelayEndToEnd.token(), ready.path]
            let errors = folder.appendingPathComponent("page.err")
            _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
            page.standardError = try FileHandle(forWritingTo: errors)
            page.standardOutput = FileHandle.nullDevice
            try page.run()
            defer { page.kill9() }
            let deadline = Date().addingTimeInterval(90)
            while !FileManager.default.fileExists(atPath: ready.path) && page.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
            try #require(FileManager.default.fileExists(atPath: ready.path), "\(((try? String(contentsOf: errors, encoding: .utf8)) ?? "").suffix(2000))")
            let port = server.port
            server.stop()
            Thread.sleep(forTimeInterval: 1)
            server = try ServerProcess(environment: EndToEnd.RelayEndToEnd.environment(), dataDirectory: folder, port: port)
            defer { server.stop() }
            try FileManager.default.removeItem(at: ready)
            while page.isRunning && Date() < deadline.addingTimeInterval(90) { Thread.sleep(forTimeInterval: 0.2) }
            let finished = !page.isRunning
            page.kill9()
            #expect(finished && page.terminationStatus == 0, "\(((try? String(contentsOf: errors, encoding: .utf8)) ?? "").suffix(3000))")
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
