import NIOCore

/// Just enough ISO BMFF parsing to split a muxer's first output into the initialization section
/// (`ftyp` + `moov`) and the first fragment (`moof` + `mdat`).
enum MP4Boxes {
    /// Top-level boxes as (type, byte range).
    static func topLevel(_ bytes: [UInt8]) -> [(type: String, range: Range<Int>)] {
        var boxes: [(String, Range<Int>)] = []
        var offset = 0
        while offset + 8 <= bytes.count {
            var size = Int(readUInt32(bytes, offset))
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            if size == 1, offset + 16 <= bytes.count {
                size = Int(readUInt32(bytes, offset + 8)) << 32 | Int(readUInt32(bytes, offset + 12))
            } else if size == 0 {
                size = bytes.count - offset
            }
            guard size >= 8, offset + size <= bytes.count else { break }
            boxes.append((type, offset..<(offset + size)))
            offset += size
        }
        return boxes
    }

    /// Splits at the first fragment box (`styp`, `sidx` or `moof`): (init, rest).
    static func splitInitialization(_ bytes: [UInt8]) -> (initialization: [UInt8], rest: [UInt8]) {
        let fragmentStart = topLevel(bytes).first { ["styp", "sidx", "moof"].contains($0.type) }?.range.lowerBound
        guard let cut = fragmentStart else { return (bytes, []) }
        return (Array(bytes[..<cut]), Array(bytes[cut...]))
    }

    static func splitInitialization(_ buffer: ByteBuffer) -> (initialization: ByteBuffer, rest: ByteBuffer) {
        let split = splitInitialization(Array(buffer.readableBytesView))
        return (ByteBuffer(bytes: split.initialization), ByteBuffer(bytes: split.rest))
    }

    private static func readUInt32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
