import Foundation
import HLS
import Hummingbird
import Logging
import Media
import Metrics
import Prometheus
import ServiceLifecycle

/// The assembled server: the Hummingbird application plus the services that feed it.
public struct SenateLiveServer: Sendable {
    public let application: Application<RouterResponder<BasicRequestContext>>
    public let channels: [String: LiveChannel]
    /// Every service to run in the one `ServiceGroup`, in start order (shutdown runs in reverse).
    public let services: [any Service]
}

/// Prometheus registry behind `/metrics`; bootstrapped into swift-metrics once per process.
public enum MetricsBootstrap {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}

/// Builds the server from its configuration. `onListening` receives the bound port.
public func buildServer(
    _ configuration: ServerConfiguration, logger: Logger, onListening: @escaping @Sendable (String, Int) -> Void = { _, _ in }
) throws -> SenateLiveServer {
    let registry = MetricsBootstrap.registry
    let mediaRoot = URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("media", isDirectory: true)
    let hls = configuration.hls
    let storeConfiguration = SegmentStore.Configuration(
        partTarget: hls.partTarget, segmentTarget: hls.segmentTarget, window: hls.window,
        memorySegments: hls.memorySegments, blockingTimeout: hls.blockingTimeout > 0 ? hls.blockingTimeout : nil
    )
    let renditions = hls.audioRendition ? [Rendition.source.rawValue, Rendition.audio.rawValue] : [Rendition.source.rawValue]
    let settings = SegmentSettings(partTarget: hls.partTarget, segmentTarget: hls.segmentTarget, audioRendition: hls.audioRendition)

    var channels: [String: LiveChannel] = [:]
    for channel in configuration.channels {
        let disk = SegmentDisk(root: mediaRoot.appendingPathComponent(channel.slug, isDirectory: true))
        let store = SegmentStore(channel: channel.slug, renditions: renditions, configuration: storeConfiguration, disk: disk)
        channels[channel.slug] = LiveChannel(slug: channel.slug, store: store, settings: settings, logger: logger)
    }

    let draining = DrainFlag()
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: CORSMiddleware(
        allowOrigin: .all, allowHeaders: [.accept, .authorization, .contentType, .origin],
        allowMethods: [.get, .head, .options, .post, .put, .delete], maxAge: .seconds(600)
    ))
    LiveRoutes(channels: channels, segmentTarget: hls.segmentTarget).register(on: router)
    OperationsRoutes(channels: channels, registry: registry, draining: draining).register(on: router)

    let application = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.http.host, port: configuration.http.port), serverName: "senate-live"),
        onServerRunning: { channel in
            onListening(configuration.http.host, channel.localAddress?.port ?? configuration.http.port)
        },
        logger: logger
    )
    let inputs = Dictionary(uniqueKeysWithValues: configuration.channels.compactMap { channel in channel.input.map { (channel.slug, $0) } })
    let channelsService = ChannelsService(
        channels: configuration.channels.compactMap { channels[$0.slug] }, inputs: inputs, draining: draining, logger: logger
    )
    return SenateLiveServer(application: application, channels: channels, services: [application, channelsService])
}
