import HummingbirdWebSocket
import HummingbirdWSCompression
import NIOWebSocket

/// permessage-deflate (RFC 7692) whose zlib state exists only while a compressed message is in flight.
///
/// Negotiation is the stock extension's, plus `client_no_context_takeover` and `server_no_context_takeover`
/// in every answer (a server may add both): each message is then compressed on its own, so nothing has to
/// be kept between messages. The stock extension allocates a deflater and an inflater (~19 KB) at the
/// handshake and keeps them for the connection's life; here an idle subscriber holds none. The relay sends
/// events uncompressed (one shared buffer for every subscriber), so the deflater is only made for the rare
/// large reply, and the inflater for each compressed client message (browsers compress what they send).
public struct OnDemandDeflateBuilder: WebSocketExtensionBuilder {
    public static let name = "permessage-deflate"
    private let stock: any WebSocketExtensionBuilder
    private let minFrameSizeToCompress: Int

    /// Same parameters as `WebSocketExtensionFactory.perMessageDeflate`; context takeover is always off.
    public init(clientMaxWindow: Int, serverMaxWindow: Int, compressionLevel: Int, memoryLevel: Int, maxDecompressedFrameSize: Int, minFrameSizeToCompress: Int) {
        stock = WebSocketExtensionFactory.perMessageDeflate(
            clientMaxWindow: clientMaxWindow, clientNoContextTakeover: true,
            serverMaxWindow: serverMaxWindow, serverNoContextTakeover: true,
            compressionLevel: compressionLevel, memoryLevel: memoryLevel,
            maxDecompressedFrameSize: maxDecompressedFrameSize, minFrameSizeToCompress: minFrameSizeToCompress
        ).build()
        self.minFrameSizeToCompress = minFrameSizeToCompress
    }

    public func clientRequestHeader() -> String { stock.clientRequestHeader() }

    public func serverReponseHeader(to request: WebSocketExtensionHTTPParameters) -> String? { stock.serverReponseHeader(to: request) }

    public func serverExtension(from request: WebSocketExtensionHTTPParameters) throws -> (any WebSocketExtension)? {
        // Made once here so a request the stock extension refuses is refused at the handshake.
        guard try stock.serverExtension(from: request) != nil else { return nil }
        return OnDemandDeflate(minFrameSizeToCompress: minFrameSizeToCompress) { try stock.serverExtension(from: request) }
    }

    public func clientExtension(from response: WebSocketExtensionHTTPParameters) throws -> (any WebSocketExtension)? {
        try stock.clientExtension(from: response)
    }
}

/// The server side of `OnDemandDeflateBuilder`: one stock extension per message direction, made when a
/// message needs it and dropped (its zlib state freed) when the message's last frame has passed.
actor OnDemandDeflate: WebSocketExtension {
    nonisolated let name = "permessage-deflate"
    nonisolated var reservedBits: WebSocketFrame.ReservedBits { .rsv1 }
    private let make: @Sendable () throws -> (any WebSocketExtension)?
    private let minFrameSizeToCompress: Int
    private var receiving: (any WebSocketExtension)?
    private var sending: (any WebSocketExtension)?

    init(minFrameSizeToCompress: Int, make: @escaping @Sendable () throws -> (any WebSocketExtension)?) {
        self.minFrameSizeToCompress = minFrameSizeToCompress
        self.make = make
    }

    func processReceivedFrame(_ frame: WebSocketFrame, context: WebSocketExtensionContext) async throws -> WebSocketFrame {
        // RFC 7692 §6.1: RSV1 marks a message's first frame only; set anywhere else the peer is broken.
        if frame.rsv1, frame.opcode == .continuation { throw DeflateProtocolError() }
        // A compressed message starts with RSV1 set; its continuation frames follow with `receiving` set.
        if receiving == nil {
            guard frame.rsv1, frame.opcode == .text || frame.opcode == .binary else { return frame }
            receiving = try make()
        }
        guard let inflater = receiving else { return frame }
        let result = try await inflater.processReceivedFrame(frame, context: context)
        if frame.fin { receiving = nil }
        return result
    }

    func processFrameToSend(_ frame: WebSocketFrame, context: WebSocketExtensionContext) async throws -> WebSocketFrame {
        guard frame.opcode == .text || frame.opcode == .binary || frame.opcode == .continuation else { return frame }
        if sending == nil {
            // The stock extension leaves a small, complete message as it is: no need to make one for it.
            guard !frame.fin || frame.data.readableBytes >= minFrameSizeToCompress else { return frame }
            sending = try make()
        }
        guard let deflater = sending else { return frame }
        let result = try await deflater.processFrameToSend(frame, context: context)
        if frame.fin { sending = nil }
        return result
    }

    func shutdown() async {
        receiving = nil
        sending = nil
    }
}

/// A frame that breaks permessage-deflate's rules; the connection is failed.
struct DeflateProtocolError: Error, CustomStringConvertible {
    var description: String { "permessage-deflate: RSV1 set on a continuation frame" }
}
