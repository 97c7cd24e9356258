import Testing
@testable import RelayTransport

@Suite("WebSocket frame scanner")
struct WebSocketFrameScannerTests {
    /// A client frame header (masked unless told otherwise), then the payload (left unmasked: the scanner
    /// never looks at it).
    static func frame(_ opcode: UInt8, length: Int, fin: Bool = true, masked: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        let mask: UInt8 = masked ? 0x80 : 0
        if length < 126 {
            bytes.append(mask | UInt8(length))
        } else if length < 65536 {
            bytes += [mask | 126, UInt8(length >> 8), UInt8(length & 0xFF)]
        } else {
            bytes.append(mask | 127)
            bytes += (0..<8).reversed().map { UInt8((UInt64(length) >> (UInt64($0) * 8)) & 0xFF) }
        }
        if masked { bytes += [1, 2, 3, 4] }
        return bytes + [UInt8](repeating: 0x61, count: length)
    }

    @Test("frames split at any byte boundary pass, in any number")
    func splitAnywhere() {
        let stream = Self.frame(1, length: 5) + Self.frame(1, length: 300) + Self.frame(9, length: 0) + Self.frame(2, length: 70_000, fin: false) + Self.frame(0, length: 1)
        for chunk in [1, 2, 3, 7, 100, stream.count] {
            var scanner = WebSocketFrameScanner(maxPayload: 80_000)
            var index = 0
            while index < stream.count {
                #expect(scanner.scan(stream[index..<min(stream.count, index + chunk)]) == nil, "chunk \(chunk) at \(index)")
                index += chunk
            }
        }
    }

    @Test("violations: unmasked 1002, too large 1009, control frames fragmented or over 125 bytes, reserved opcodes, a length's top bit")
    func violations() {
        func first(_ bytes: [UInt8], max: Int = 16_384) -> WebSocketFrameScanner.Violation? {
            var scanner = WebSocketFrameScanner(maxPayload: max)
            return scanner.scan(bytes)
        }
        #expect(first(Self.frame(1, length: 3, masked: false)) == .unmasked)
        #expect(first(Self.frame(1, length: 3, masked: false))?.closeCode == 1002)
        #expect(first(Self.frame(1, length: 20_000)) == .tooLarge(20_000))
        #expect(first(Self.frame(2, length: 20_000))?.closeCode == 1009)
        #expect(first(Self.frame(9, length: 3, fin: false)) == .malformed("fragmented control frame"))
        #expect(first(Self.frame(9, length: 126)) == .malformed("control frame longer than 125 bytes"))
        #expect(first(Self.frame(3, length: 1)) == .malformed("reserved opcode 3"))
        #expect(first([0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4]) == .malformed("frame length has its top bit set"))
        // A good frame, then a bad one: found in the same scan.
        #expect(first(Self.frame(1, length: 10) + Self.frame(1, length: 1, masked: false)) == .unmasked)
    }
}
