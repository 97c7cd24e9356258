import Alerts
import Archive
import Foundation
import HLS
import HTTPTypes
import HummingbirdCore
import LiveOrigin
import NIOHTTP1
import Hummingbird
import HummingbirdWebSocket
import HummingbirdWSCompression
import Logging
import Media
import Metrics
import Prometheus
import Relay
import RelayTransport
import RelayPostgres
import ServiceLifecycle
import Recorder

/// The request context of every route: HTTP routes and the `/ws` upgrade share one router.
public typealias AppContext = AppRequestContext

/// The assembled server: the Hummingbird application plus the services that feed it.
public struct SenateLiveServer: Sendable {
    public let application: Application<RouterResponder<AppContext>>
    public let channels: [String: LiveChannel]
    public let relay: Relay
    public let authority: TokenAuthority
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

/// Builds the server from its configuration. `onListening` receives each bound base URL
/// (`http://HOST:PORT`, and `https://HOST:PORT` with `http.tls`).
public func buildServer(
    _ configuration: ServerConfiguration, logger: Logger, onListening: @escaping @Sendable (String) -> Void = { _ in }
) async throws -> SenateLiveServer {
    let registry = MetricsBootstrap.registry
    let mediaRoot = URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("media", isDirectory: true)
    let hls = configuration.hls
    let storeConfiguration = SegmentStore.Configuration(
        partTarget: hls.partTarget, segmentTarget: hls.segmentTarget, window: hls.window,
        memorySegments: hls.memorySegments, blockingTimeout: hls.blockingTimeout > 0 ? hls.blockingTimeout : nil
    )
    let renditions = Rendition.all(ladder: hls.ladder, maxAudioTracks: hls.maxAudioTracks)
    let settings = hls.segmentSettings

    let isIngest = configuration.has(.ingest), isRelay = configuration.has(.relay)
    var channels: [String: LiveChannel] = [:]
    var disks: [String: SegmentDisk] = [:]
    for channel in configuration.channels where isIngest {
        let disk = SegmentDisk(root: mediaRoot.appendingPathComponent(channel.slug, isDirectory: true))
        disks[channel.slug] = disk
        let store = SegmentStore(channel: channel.slug, renditions: renditions, configuration: storeConfiguration, disk: disk)
        channels[channel.slug] = LiveChannel(slug: channel.slug, store: store, settings: settings, audioName: hls.audioName, logger: logger)
    }

    let slugs = configuration.channels.map(\.slug)
    let (log, sharedLog) = try await openEventLog(configuration, claimIngest: isIngest, logger: logger)
    let relay = Relay(log: log, hub: Hub(), channels: slugs, recentEvents: configuration.relay.recentEvents, logger: logger)
    do { try await relay.start() } catch {
        await sharedLog?.close()
        throw error
    }
    var secret = configuration.auth.secret
    if secret.isEmpty {
        secret = UUID().uuidString + UUID().uuidString
        logger.warning("no auth.secret (SENATE_LIVE_AUTH_SECRET) set: tokens are signed with a random secret and stop working at restart")
    }
    let authority = await TokenAuthority(secret: secret)
    let catalog = try await Catalog.open(path: configuration.dataDirectory + "/catalog.sqlite")
    let archiver = SittingArchiver(
        catalog: catalog, folder: ArchiveFolder(root: URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("archive", isDirectory: true)),
        disks: disks, renditions: renditions, settings: configuration.archive, logger: logger
    )
    // The recorder hears of each closed segment from its store: a sitting's archive waits for its last one.
    for (slug, channel) in channels {
        await channel.store.onSegmentClosed { [archiver] end in archiver.segmentClosed(channel: slug, through: end) }
    }

    let draining = DrainFlag()
    let router = Router(context: AppContext.self)
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: BearerAuthMiddleware(authority: authority))
    router.add(middleware: CORSMiddleware(
        allowOrigin: .all, allowHeaders: [.accept, .authorization, .contentType, .origin, HTTPField.Name("Last-Event-ID")!],
        allowMethods: [.get, .head, .options, .post, .put, .delete], maxAge: .seconds(600)
    ))
    var storeHealth: (@Sendable () async -> (store: Bool, notifier: Bool))?
    if let sharedLog { storeHealth = { await sharedLog.health() } }
    OperationsRoutes(channels: channels, registry: registry, draining: draining, storeHealth: storeHealth).register(on: router)
    WebRoutes(channels: slugs).register(on: router)
    // Webhooks deliver from the ingest node only: one delivery per event however many relay nodes run.
    let webhookStore = try await WebhookStore.open(path: configuration.dataDirectory + "/webhooks.sqlite")
    let webhookSender = WebhookSender(store: webhookStore, settings: configuration.webhooks, logger: logger)
    // Web Push, like webhooks, from the ingest node only: one alert per event and subscription.
    var pushService: OutboxService?
    var lineService: OutboxService?
    if isIngest {
        let push = configuration.push
        let pushStore = try await PushStore.open(path: configuration.dataDirectory + "/push.sqlite")
        let vapid: VAPIDKey
        do { vapid = try await pushStore.vapidKey(configured: push.vapidPrivateKey, subject: push.subject) } catch let error as PushError {
            throw ConfigurationError(key: "alerts.push.vapidPrivateKey", error.message)
        }
        if push.enabled {
            let sender = PushSender(store: pushStore, settings: push, vapid: vapid, logger: logger)
            pushService = OutboxService(channels: slugs, relay: relay, outbox: .push(store: pushStore, sender: sender, relay: relay, ttl: push.ttl), logger: logger)
            PushRoutes(store: pushStore, publicKey: vapid.publicKey, channels: Set(slugs), settings: push,
                       exempt: configuration.http.connectionLimitExempt).register(on: router)
        } else {
            PushRoutes.registerDisabled(on: router)
        }
        if configuration.line.isEnabled {
            guard !configuration.line.channelSecret.isEmpty else {
                throw ConfigurationError(key: "alerts.line.channelSecret", "is needed with alerts.line.channelAccessToken: LINE signs its webhooks with it")
            }
            do { _ = try OutboundPolicy().validate(configuration.line.apiBase) } catch let refusal as OutboundRefusal {
                throw ConfigurationError(key: "alerts.line.apiBase", refusal.message)
            }
            let lineStore = try await LineStore.open(path: configuration.dataDirectory + "/line.sqlite")
            let sender = LineSender(store: lineStore, settings: configuration.line, logger: logger)
            lineService = OutboxService(channels: slugs, relay: relay, outbox: .line(store: lineStore, sender: sender, relay: relay, settings: configuration.line), logger: logger)
            LineRoutes(store: lineStore, settings: configuration.line).register(on: router)
        } else {
            LineRoutes.registerDisabled(on: router)
        }
    }
    if isIngest {
        let clips = ClipMaker(folder: URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("clips", isDirectory: true))
        let rewind = RewindRoutes(channels: channels, catalog: catalog, settings: hls, clips: clips)
        LiveRoutes(channels: channels, segmentTarget: hls.segmentTarget, rewind: rewind).register(on: router)
        InputRoutes(channels: channels, settings: configuration.ingest).register(on: router)
        ArchiveRoutes(archiver: archiver, renditions: renditions, clips: clips, maxClipSeconds: hls.maxClipSeconds).register(on: router)
        WebhookRoutes(store: webhookStore, sender: webhookSender, channels: Set(slugs), settings: configuration.webhooks).register(on: router)
    }
    var webSocket: WebSocketEndpoint?
    if isRelay {
        RelayRoutes(relay: relay, settings: configuration.relay).register(on: router)
        let limits = SubscriberLimits(
            subscriberBufferBytes: configuration.relay.subscriberBufferBytes, subscriberQueue: configuration.relay.subscriberQueue,
            clientMessagesPerSecond: configuration.relay.clientMessagesPerSecond, maxClientMessageBytes: configuration.relay.maxClientMessageBytes
        )
        let fanouts = FanoutRegistry(hub: relay.hub)
        switch configuration.relay.webSocketServer {
        case .nio:
            webSocket = WebSocketEndpoint(
                relay: relay, fanouts: fanouts, limits: limits, pingInterval: .milliseconds(Int64(configuration.relay.pingInterval * 1000)),
                deflate: configuration.relay.compression ? deflateOffer(maxMessage: configuration.relay.maxClientMessageBytes) : nil, logger: logger
            )
            // Reached only by a request that is not a fresh upgrade (`FirstRequestRouter` takes those).
            router.get("/ws") { request, _ -> Response in
                // The request is read to its end first (a body that never comes is timed out, 408).
                _ = try await request.body.collect(upTo: 64 * 1024)
                throw APIError(.upgradeRequired, code: "upgrade_required", message: "open a WebSocket: a new connection whose first request is the upgrade")
            }
        case .hummingbird:
            let session = WebSocketSession(relay: relay, fanouts: fanouts, settings: limits, logger: logger)
            router.ws("/ws") { _, _ in
                .upgrade([:])
            } onUpgrade: { inbound, outbound, context in
                try await session.run(inbound: inbound, outbound: outbound, connection: context.requestContext.channel)
            }
        }
    }

    // One count per client address across the plain and the HTTPS port.
    let limiter = ConnectionLimiter(perAddress: configuration.http.maxConnectionsPerAddress, exempt: configuration.http.connectionLimitExempt)
    let application = Application(
        router: router,
        server: guardedServer(webSocketRouter: router, webSocket: webSocket, limiter: limiter, configuration),
        // A restart with viewers connected brings their reconnects all at once: a queue of 256 pending
        // connections overflows, and each SYN that is dropped costs that client a second or more.
        configuration: .init(address: .hostname(configuration.http.host, port: configuration.http.port), serverName: "senate-live", backlog: 4096),
        onServerRunning: { channel in
            onListening("http://\(configuration.http.host):\(channel.localAddress?.port ?? configuration.http.port)")
        },
        logger: logger
    )
    let inputs = Dictionary(uniqueKeysWithValues: configuration.channels.compactMap { channel in channel.input.map { (channel.slug, $0) } })
    let channelsService = ChannelsService(
        channels: configuration.channels.compactMap { channels[$0.slug] }, relay: relay, inputs: inputs.mapValues(\.source), logger: logger
    )
    let archiveService = ArchiveService(channels: slugs, relay: relay, archiver: archiver, logger: logger)
    let webhookService = OutboxService(channels: slugs, relay: relay, outbox: .webhooks(store: webhookStore, sender: webhookSender), logger: logger)
    // Start order; shutdown runs in reverse, so the shared log closes after everything that uses it.
    var services: [any Service] = []
    if let sharedLog {
        let poll = Duration.milliseconds(Int64(configuration.relay.sharedLogPoll * 1000))
        services.append(SharedLogService(relay: relay, log: sharedLog, logger: logger, pollInterval: poll))
    }
    services.append(application)
    if let tls = configuration.http.tls {
        services.append(try SecureListener.application(router: router, tls: tls, http: configuration.http, limiter: limiter, logger: logger, onListening: onListening))
    }
    if isIngest { services += [archiveService, webhookService, channelsService] }
    if let pushService { services.append(pushService) }
    if let lineService { services.append(lineService) }
    // Last, so it is the first to hear of shutdown: /readyz turns traffic away before anything stops.
    services.append(DrainService(draining: draining))
    return SenateLiveServer(application: application, channels: channels, relay: relay, authority: authority, services: services)
}

/// HTTP/1.1 with the WebSocket upgrade, behind `GuardedServerChannel`: header and body timeouts, header size
/// limits, a connection limit per address, answers to malformed requests, and WebSocket frames checked
/// against RFC 6455 and `relay.maxClientMessageBytes` (1002, 1009; invalid UTF-8: 1007).
private func guardedServer(webSocketRouter: Router<AppContext>, webSocket endpoint: WebSocketEndpoint?, limiter: ConnectionLimiter, _ configuration: ServerConfiguration) -> HTTPServerBuilder {
    let relay = configuration.relay, http = configuration.http
    let webSocket = WebSocketServerConfiguration(
        maxFrameSize: relay.maxClientMessageBytes,
        extensions: relay.compression ? [WebSocketExtensionFactory { deflateOffer(maxMessage: relay.maxClientMessageBytes) }] : [],
        autoPing: .enabled(timePeriod: .milliseconds(Int(relay.pingInterval * 1000))),
        // A client that does not answer the close handshake holds its connection (and the drain) this long.
        closeTimeout: .seconds(5),
        validateUTF8: true
    )
    let http1 = HTTP1Channel.Configuration(httpDecoderConfiguration: .init(
        maxHeaderFieldSize: http.maxHeaderBytes, maxHeaderListSize: http.maxHeaderBytes, maxHeaderFieldCount: 100
    ))
    let timeouts = RequestGuardStateMachine.Timeouts(
        header: .milliseconds(Int64(http.headerTimeout * 1000)), body: .milliseconds(Int64(http.bodyTimeout * 1000)),
        idle: .milliseconds(Int64(http.idleTimeout * 1000))
    )
    let webSocketResponder = webSocketRouter.buildResponder()
    return HTTPServerBuilder { responder in
        if let endpoint {
            return GuardedServerChannel(
                base: HTTP1Channel(responder: responder, configuration: http1), limiter: limiter, timeouts: timeouts,
                maxFramePayload: relay.maxClientMessageBytes, webSocket: endpoint, maxHeadBytes: http.maxHeaderBytes + 8 * 1024
            )
        }
        return GuardedServerChannel(
            base: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder, configuration: .init(http1: http1, ws: webSocket)),
            limiter: limiter, timeouts: timeouts, maxFramePayload: relay.maxClientMessageBytes, webSocket: nil, maxHeadBytes: 0
        )
    }
}

/// permessage-deflate as the server offers it. Small windows and memory level keep a compressed message's
/// zlib state at a few KB, and it only exists while such a message passes (`OnDemandDeflateBuilder`);
/// events go out uncompressed, so a fan-out does not deflate the same bytes once per subscriber.
private func deflateOffer(maxMessage: Int) -> OnDemandDeflateBuilder {
    OnDemandDeflateBuilder(
        clientMaxWindow: 10, serverMaxWindow: 10, compressionLevel: 6, memoryLevel: 2,
        maxDecompressedFrameSize: maxMessage, minFrameSizeToCompress: 1024
    )
}

/// The event log `relay.store` names: SQLite under the data folder, or PostgreSQL shared with other nodes
/// (returned twice: as the log, and as itself for the service that follows it and closes it). An ingest
/// node on a shared log takes its ingest lock, or the start stops.
private func openEventLog(_ configuration: ServerConfiguration, claimIngest: Bool, logger: Logger) async throws -> (any EventLog, PostgresEventLog?) {
    let history = Int64(configuration.relay.history)
    guard case .postgres(let url) = configuration.relay.store else {
        return (try await SQLiteEventLog.open(path: configuration.dataDirectory + "/relay.sqlite", history: history, logger: logger), nil)
    }
    let log: PostgresEventLog
    do {
        log = try await PostgresEventLog(url: url, history: history, logger: logger)
    } catch let error as PostgresStoreError {
        throw ConfigurationError(key: "relay.store", error.description)
    } catch {
        // postgres-nio's errors describe themselves only when reflected (they may hold the query).
        throw ConfigurationError(key: "relay.store", "PostgreSQL refused: \(String(reflecting: error))")
    }
    do {
        if claimIngest, !(try await log.claimIngest()) {
            throw ConfigurationError(key: "roles", "another node already runs ingest on this relay.store: give this one roles: relay")
        }
    } catch {
        await log.close()
        throw error
    }
    return (log, log)
}
