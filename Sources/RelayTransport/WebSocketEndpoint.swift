import Crypto
import Foundation
import HTTPTypes
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Relay
import Storage

/// `/ws` served from the connection's own channel pipeline: the handshake is answered here, and the
/// connection becomes a `WebSocketConnection` handler and a few small structs, with no Swift task and no
/// async frame while it is idle (a task exists only while a subscribe's catch-up runs). What every
/// connection shares lives here, once.
public final class WebSocketEndpoint: Sendable {
    let relay: Relay
    let fanouts: FanoutRegistry
    let limits: SubscriberLimits
    let logger: Logger
    let pingInterval: TimeAmount
    /// How long a client has to answer our close frame before the TCP connection is closed.
    let closeTimeout: TimeAmount
    /// permessage-deflate as offered (nil: not offered).
    let deflate: OnDemandDeflateBuilder?
    /// Catch-up pages on the event loops at once, for every connection (`DirectSubscriber.sendCatchUp`).
    let replayPages = AsyncLock(permits: 8)

    public init(
        relay: Relay, fanouts: FanoutRegistry, limits: SubscriberLimits, pingInterval: Duration, deflate: OnDemandDeflateBuilder?,
        closeTimeout: Duration = .seconds(5), logger: Logger
    ) {
        self.relay = relay
        self.fanouts = fanouts
        self.limits = limits
        self.pingInterval = TimeAmount(pingInterval)
        self.closeTimeout = TimeAmount(closeTimeout)
        self.deflate = deflate
        self.logger = logger
    }

    /// The answer to a WebSocket upgrade request.
    public enum Handshake {
        /// `101 Switching Protocols`: the bytes to send, and whether permessage-deflate was agreed.
        case accept(response: ByteBuffer, deflate: Bool)
        /// Not a valid handshake (RFC 6455 §4.2.1): the status, an error code, a message and extra headers.
        case refuse(status: Int, code: String, message: String, headers: [(String, String)])
    }

    /// Checks an upgrade request's headers (names in any case) and makes the answer.
    public func handshake(headers: [(name: String, value: String)]) -> Handshake {
        Self.handshake(headers: headers, deflate: deflate)
    }

    static func handshake(headers: [(name: String, value: String)], deflate: OnDemandDeflateBuilder?) -> Handshake {
        func values(_ name: String) -> [String] { headers.filter { $0.name.lowercased() == name }.map(\.value) }
        guard values("sec-websocket-version").first?.trimmingCharacters(in: .whitespaces) == "13" else {
            return .refuse(status: 426, code: "unsupported_version", message: "only WebSocket version 13 is served", headers: [("Sec-WebSocket-Version", "13")])
        }
        let keys = values("sec-websocket-key")
        guard keys.count == 1, let key = keys.first?.trimmingCharacters(in: .whitespaces), Data(base64Encoded: key)?.count == 16 else {
            return .refuse(status: 400, code: "bad_request", message: "a WebSocket upgrade needs one Sec-WebSocket-Key of 16 bytes in base64", headers: [])
        }
        let accept = Data(Insecure.SHA1.hash(data: Data((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))).base64EncodedString()
        var response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(accept)\r\n"
        var agreed = false
        if let deflate, let answer = deflate.serverResponseHeader(to: Self.extensionOffers(values("sec-websocket-extensions"))) {
            response += "Sec-WebSocket-Extensions: \(answer)\r\n"
            agreed = true
        }
        return .accept(response: ByteBuffer(string: response + "\r\n"), deflate: agreed)
    }

    private static func extensionOffers(_ values: [String]) -> [WebSocketExtensionHTTPParameters] {
        var fields = HTTPFields()
        for value in values { fields.append(HTTPField(name: .secWebSocketExtensions, value: value)) }
        return WebSocketExtensionHTTPParameters.parseHeaders(fields)
    }

    /// After the `101` is written, on the connection's event loop: the frame decoder and encoder and the
    /// connection's handler go at the end of the pipeline.
    public func upgrade(_ channel: any Channel, deflate: Bool) throws {
        let high = max(16 * 1024, limits.subscriberBufferBytes)
        // The connection's own outbound buffer is the subscriber's bounded queue.
        try channel.syncOptions?.setOption(ChannelOptions.writeBufferWaterMark, value: .init(low: high / 2, high: high))
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: limits.maxClientMessageBytes)))
        try pipeline.addHandler(WebSocketFrameEncoder())
        try pipeline.addHandler(WebSocketConnection(endpoint: self, deflate: deflate))
    }
}
