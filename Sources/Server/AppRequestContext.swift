import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of every route (HTTP routes and the `/ws` upgrade share one router). It keeps the
/// connection's channel, so a WebSocket subscriber can be written to straight from the hub.
public struct AppRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}
