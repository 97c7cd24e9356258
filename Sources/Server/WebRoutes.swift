import Foundation
import HTTPTypes
import Hummingbird

/// The pages people use, served from the `Public` resources (plain HTML, CSS and JavaScript modules, no
/// build step): the viewer (`/`, `/watch/{channel}`), the embeddable player (`/embed/{channel}`), the
/// operator console (`/console/{channel}`), the archive (`/archive`, `/archive/{sitting}`), and the Web Push
/// service worker (`/sw.js`).
struct WebRoutes: Sendable {
    let channels: [String]
    let root: URL?

    init(channels: [String]) {
        self.channels = channels
        root = Bundle.module.url(forResource: "Public", withExtension: nil)
    }

    func register(on router: Router<AppContext>) {
        router.get("/") { _, _ in
            guard let first = channels.first else { throw APIError.notFound("no channel is configured") }
            return Response(status: .found, headers: [.location: "/watch/\(first)"])
        }
        for (prefix, page) in [("watch", "viewer.html"), ("embed", "embed.html"), ("console", "console.html")] {
            router.get("/\(prefix)/:channel") { request, context in
                let channel = context.parameters.get("channel") ?? ""
                guard channels.contains(channel) else { throw APIError.notFound("no channel \(channel)") }
                return try await file(page, request: request, context: context)
            }
        }
        // The API's OpenAPI 3.1 description, checked in beside the pages (schemathesis fuzzes the server with it).
        router.get("/api/v1/openapi.json") { request, context in
            guard let root else { throw APIError.notFound("no such file") }
            return try await FileResponse.serve(root.appendingPathComponent("openapi.json"), request: request, context: context,
                                                contentType: "application/json; charset=utf-8", cache: "public, max-age=60")
        }
        router.get("/archive") { request, context in try await file("archive.html", request: request, context: context) }
        router.get("/archive/:sitting") { request, context in try await file("sitting.html", request: request, context: context) }
        // The service worker for Web Push alerts, at the root so its scope can be the whole site. Revalidated
        // on every load (`no-cache`): a stale worker would keep running old code.
        router.get("/sw.js") { request, context in
            var response = try await file("sw.js", request: request, context: context, cache: "no-cache")
            response.headers[HTTPField.Name("Service-Worker-Allowed")!] = "/"
            return response
        }
        router.get("/assets/:file") { request, context in
            let name = context.parameters.get("file") ?? ""
            guard Self.isAssetName(name) else { throw APIError.notFound("no such file") }
            return try await file("assets/" + name, request: request, context: context)
        }
    }

    /// Asset names: `[a-z0-9-]+.(js|css|svg|txt)` — never a path.
    static func isAssetName(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, Self.types[String(parts[1])] != nil, !parts[0].isEmpty else { return false }
        return parts[0].utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    }

    static let types = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
        "svg": "image/svg+xml", "txt": "text/plain; charset=utf-8",
    ]

    private func file(_ path: String, request: Request, context: AppContext, cache: String = "public, max-age=60") async throws -> Response {
        guard let root, let type = Self.types[String(path.split(separator: ".").last ?? "")] else { throw APIError.notFound("no such page") }
        let url = root.appendingPathComponent(path)
        guard FileManager.default.fileExists(atPath: url.path) else { throw APIError.notFound("no such file") }
        // Pages and assets change with each release: revalidate rather than cache for long.
        return try await FileResponse.serve(url, request: request, context: context, contentType: type, cache: cache)
    }
}
