import Foundation
import Hummingbird
import Prometheus
import Synchronization

/// `GET /healthz` (the process answers), `GET /readyz` (it should get traffic), `GET /metrics`.
struct OperationsRoutes: Sendable {
    let channels: [String: LiveChannel]
    let registry: PrometheusCollectorRegistry
    let draining: DrainFlag

    func register(on router: Router<AppContext>) {
        router.get("/healthz") { _, _ in
            LiveRoutes.response("ok\n", contentType: "text/plain; charset=utf-8", cache: "no-store")
        }
        router.get("/readyz") { _, _ in
            var states: [String: String] = [:]
            for (slug, channel) in channels { states[slug] = await channel.state.name }
            let ready = !draining.isDraining
            let body = try JSONEncoder().encode(ReadyBody(status: ready ? "ready" : "draining", channels: states))
            return Response(
                status: ready ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: body))
            )
        }
        router.get("/metrics") { _, _ in
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer))
            )
        }
    }

    private struct ReadyBody: Encodable {
        let status: String
        let channels: [String: String]
    }
}

/// Set once shutdown begins, so `/readyz` turns away new traffic while the rest drains.
public final class DrainFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public var isDraining: Bool { flag.load(ordering: .relaxed) }
    public func set() { flag.store(true, ordering: .relaxed) }
}
