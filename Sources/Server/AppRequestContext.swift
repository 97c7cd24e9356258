import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of every route (HTTP routes and the `/ws` upgrade share one router). It keeps the
/// connection's channel, so a WebSocket subscriber can be written to straight from the hub.
public struct AppRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    public let channel: any Channel
    /// Who the request's bearer token names (`BearerAuthMiddleware`); nil without a valid token.
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}

extension AppRequestContext {
    /// The request's principal; 401 `unauthorized` with `WWW-Authenticate: Bearer` when its token is
    /// missing, forged, expired or not yet valid.
    func requirePrincipal() throws -> Principal {
        guard let principal else {
            var error = APIError(.unauthorized, code: "unauthorized", message: "a valid bearer token is required")
            error.headers[.wwwAuthenticate] = "Bearer"
            throw error
        }
        return principal
    }

    /// The principal, when it may publish to (or control) `channel`; 401 as above, else 403 `forbidden`.
    func requirePublisher(to channel: String, _ action: String) throws -> Principal {
        let principal = try requirePrincipal()
        guard principal.mayPublish(to: channel) else {
            throw APIError(.forbidden, code: "forbidden", message: "this token may not \(action) \(channel)")
        }
        return principal
    }
}

/// Reads the `Authorization: Bearer …` token of an API request once, into `context.principal`; the routes
/// that need one say which (`requirePrincipal`, `requirePublisher`), so a 401 looks the same everywhere.
/// Media, pages and `/ws` need no token, so a header a player sends along costs no signature check there.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let authority: TokenAuthority

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let authorization = request.headers[.authorization], request.uri.path.hasPrefix("/api/") else {
            return try await next(request, context)
        }
        var context = context
        context.principal = await authority.principal(authorization: authorization)
        return try await next(request, context)
    }
}
