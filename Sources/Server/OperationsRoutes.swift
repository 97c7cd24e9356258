import Foundation
import Hummingbird
import LiveOrigin
import Prometheus
import ServiceLifecycle
import Synchronization

/// `GET /healthz` (the process answers), `GET /readyz` (it should get traffic), `GET /metrics`.
struct OperationsRoutes: Sendable {
    let channels: [String: LiveChannel]
    let registry: PrometheusCollectorRegistry
    let draining: DrainFlag
    /// A shared event log's state (nil for SQLite): not ready while the database or its notifications are down.
    let storeHealth: (@Sendable () async -> (store: Bool, notifier: Bool))?

    func register(on router: Router<AppContext>) {
        router.get("/healthz") { _, _ in
            LiveRoutes.response("ok\n", contentType: "text/plain; charset=utf-8", cache: "no-store")
        }
        router.get("/readyz") { _, _ in
            var states: [String: String] = [:]
            for (slug, channel) in channels { states[slug] = await channel.state.name }
            let health = await storeHealth?()
            let storeUp = health.map { $0.store && $0.notifier } ?? true
            let ready = !draining.isDraining && storeUp
            let body = try JSONEncoder().encode(ReadyBody(
                status: draining.isDraining ? "draining" : (storeUp ? "ready" : "store_unavailable"), channels: states,
                store: health.map { $0.store ? "ok" : "unreachable" } ?? "sqlite",
                notifier: health.map { $0.notifier ? "listening" : "reconnecting" }
            ))
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
        let store: String
        let notifier: String?
    }
}

/// Sets the drain flag when graceful shutdown begins. The last service of the group, so the first to stop.
struct DrainService: Service {
    let draining: DrainFlag

    func run() async throws {
        try? await gracefulShutdown()
        draining.set()
    }
}

/// Set once shutdown begins, so `/readyz` turns away new traffic while the rest drains.
public final class DrainFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public var isDraining: Bool { flag.load(ordering: .relaxed) }
    public func set() { flag.store(true, ordering: .relaxed) }
}
