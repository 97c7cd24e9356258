import Foundation
import Testing

extension EndToEnd {
    @Suite("Web Push from the viewer page")
    struct PushPageEndToEnd {
        static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/alerts_check.py")

        @Test("/sw.js is served for the whole site and never cached stale")
        func serviceWorkerScript() async throws {
            let server = try ServerProcess(environment: EndToEnd.PushEndToEnd.environment())
            defer { server.stop() }
            let reply = try await HTTP.get(server.baseURL + "/sw.js")
            #expect(reply.status == 200)
            #expect(reply.header("Content-Type")?.hasPrefix("text/javascript") == true, "\(reply.headers)")
            #expect(reply.header("Cache-Control") == "no-cache", "a service worker is revalidated on every load")
            #expect(reply.header("Service-Worker-Allowed") == "/")
            #expect(reply.text.contains("showNotification") && reply.text.contains("notificationclick"))
        }

        @Test("in headless Chromium: the page registers /sw.js, follows a bill and a Thai keyword, the server's alerts reach the push service verified, clearing the set unsubscribes")
        func alertsInChromium() async throws {
            let service = try EndToEnd.PushEndToEnd.PushServiceProcess(count: 3)
            defer { service.stop() }
            let server = try ServerProcess(environment: EndToEnd.PushEndToEnd.environment())
            defer { server.stop() }
            let subscriptions = service.folder.appendingPathComponent("subscriptions.jsonl")
            let run = try Tool.run("python3", [Self.script.path, server.baseURL, try EndToEnd.RelayEndToEnd.token(), subscriptions.path, service.log.path], timeout: 240)
            #expect(run.succeeded, "\(run.stderr)\n\(run.stdout)\nserver log:\n\(server.log.suffix(3000))")
            print("alerts check: \(run.stdout)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)")
            #expect(report["serviceWorker"] as? Bool == true && report["subscribeCalled"] as? Bool == true)
            #expect(Set(report["delivered"] as? [String] ?? []) == ["agenda.item", "transcript.line"], "\(report)")
            // Only the first subscription was the browser's: nothing went to the others.
            #expect(service.pushes(to: "s1").isEmpty && service.pushes(to: "s2").isEmpty)
        }
    }
}
