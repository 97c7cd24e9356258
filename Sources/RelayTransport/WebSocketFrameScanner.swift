/// Reads the headers of the frames a WebSocket client sends, as the bytes arrive, and finds what RFC 6455
/// forbids before any of it is decoded: an unmasked frame (§5.1: 1002), a frame longer than the server
/// takes (1009), a control frame that is fragmented or longer than 125 bytes, a reserved opcode or an
/// impossible length (1002). Payload bytes are only counted, never copied.
public struct WebSocketFrameScanner {
    public enum Violation: Equatable, Sendable {
        case unmasked
        case tooLarge(UInt64)
        case malformed(String)

        /// The close code to send (RFC 6455 §7.4.1).
        public var closeCode: UInt16 {
            if case .tooLarge = self { return 1009 }
            return 1002
        }

        public var reason: String {
            switch self {
            case .unmasked: "client frames must be masked"
            case .tooLarge(let length): "frame of \(length) bytes is too large"
            case .malformed(let what): what
            }
        }
    }

    /// Longest payload of one frame.
    let maxPayload: Int
    private var header: [UInt8] = []
    private var payloadLeft: UInt64 = 0

    public init(maxPayload: Int) {
        self.maxPayload = maxPayload
        header.reserveCapacity(14)
    }

    /// Looks at the next bytes of the stream; the first violation found, or nil.
    public mutating func scan(_ bytes: some Collection<UInt8>) -> Violation? {
        var index = bytes.startIndex
        while index != bytes.endIndex {
            if payloadLeft > 0 {
                let available = UInt64(bytes.distance(from: index, to: bytes.endIndex))
                let skip = min(available, payloadLeft)
                payloadLeft -= skip
                index = bytes.index(index, offsetBy: Int(skip))
                continue
            }
            header.append(bytes[index])
            index = bytes.index(after: index)
            switch headerState() {
            case .incomplete: continue
            case .violation(let violation): return violation
            case .complete(let length):
                header.removeAll(keepingCapacity: true)
                payloadLeft = length
            }
        }
        return nil
    }

    private enum HeaderState {
        case incomplete
        case complete(payload: UInt64)
        case violation(Violation)
    }

    private func headerState() -> HeaderState {
        guard header.count >= 2 else { return .incomplete }
        let fin = header[0] & 0x80 != 0, opcode = header[0] & 0x0F
        let masked = header[1] & 0x80 != 0, shortLength = header[1] & 0x7F
        guard masked else { return .violation(.unmasked) }
        guard [0x0, 0x1, 0x2, 0x8, 0x9, 0xA].contains(opcode) else { return .violation(.malformed("reserved opcode \(opcode)")) }
        if opcode >= 0x8 {
            guard fin else { return .violation(.malformed("fragmented control frame")) }
            guard shortLength <= 125 else { return .violation(.malformed("control frame longer than 125 bytes")) }
        }
        let lengthBytes = shortLength == 126 ? 2 : (shortLength == 127 ? 8 : 0)
        guard header.count >= 2 + lengthBytes + 4 else { return .incomplete }
        var length = UInt64(shortLength)
        if lengthBytes > 0 {
            length = header[2..<(2 + lengthBytes)].reduce(0) { $0 << 8 | UInt64($1) }
            guard length >> 63 == 0 else { return .violation(.malformed("frame length has its top bit set")) }
        }
        guard length <= UInt64(maxPayload) else { return .violation(.tooLarge(length)) }
        return .complete(payload: length)
    }
}
