import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import ServiceLifecycle

/// The HTTPS listener (`http.tls`): HTTP/2 by ALPN, HTTP/1.1 for clients that do not offer `h2`, on the same
/// router as the plain port. Apple's players ask for HTTP/2 before they use LL-HLS parts and blocking reloads.
/// WebSocket upgrades need HTTP/1.1 and stay on the plain port; the pages fall back to SSE over HTTPS.
enum SecureListener {
    static func application(
        router: Router<AppContext>, tls: ServerConfiguration.TLS, http: ServerConfiguration.HTTP, limiter: ConnectionLimiter,
        logger: Logger, onListening: @escaping @Sendable (String) -> Void
    ) throws -> any Service {
        let certificates: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(tls.certificate)
            key = try NIOSSLPrivateKey(file: tls.key, format: .pem)
        } catch {
            throw ConfigurationError(key: "http.tls", "cannot load the certificate or key: \(error)")
        }
        guard !certificates.isEmpty else { throw ConfigurationError(key: "http.tls.certificate", "no certificate in \(tls.certificate)") }
        let tlsConfiguration = TLSConfiguration.makeServerConfiguration(certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
        let upgrade = HTTP2UpgradeChannel.Configuration(
            idleTimeout: .milliseconds(Int64(http.idleTimeout * 1000)),
            // A TLS handshake and the HTTP/2 preface have to arrive as quickly as a plain request head.
            gracefulCloseTimeout: .seconds(5),
            maxAgeTimeout: nil,
            streamConfiguration: .init()
        )
        let builder = HTTPServerBuilder { responder in
            AddressLimitedChannel(
                base: try HTTP2UpgradeChannel(tlsConfiguration: tlsConfiguration, configuration: upgrade, responder: responder),
                limiter: limiter
            )
        }
        return Application(
            router: router,
            server: builder,
            configuration: .init(address: .hostname(http.host, port: tls.port), serverName: "senate-live", backlog: 4096),
            onServerRunning: { channel in onListening("https://\(http.host):\(channel.localAddress?.port ?? tls.port)") },
            logger: logger
        )
    }
}

/// The per-address connection limit on a channel whose bytes are encrypted (the plain port's byte-level
/// guards cannot read them): a connection over the limit is closed before the TLS handshake.
struct AddressLimitedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let limiter: ConnectionLimiter

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard let admitted = limiter.admit(channel.remoteAddress) else {
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(ChannelError.inputClosed)
        }
        channel.closeFuture.whenComplete { [limiter] _ in limiter.release(admitted) }
        return base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
