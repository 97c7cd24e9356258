/// Collects what a muxer writes through its custom `AVIOContext`.
final class ByteSink {
    var bytes: [UInt8] = []

    func take() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }
}

/// The `write_packet` callback of a memory `AVIOContext` whose opaque is a `ByteSink`.
func byteSinkWrite(_ opaque: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<UInt8>?, _ size: Int32) -> Int32 {
    guard let opaque, let buffer, size > 0 else { return 0 }
    let sink = Unmanaged<ByteSink>.fromOpaque(opaque).takeUnretainedValue()
    sink.bytes.append(contentsOf: UnsafeBufferPointer(start: buffer, count: Int(size)))
    return size
}
