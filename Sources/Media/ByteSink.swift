import NIOCore

/// Collects what a muxer writes through its custom `AVIOContext`, straight into the `ByteBuffer` that is
/// served later (no intermediate copy).
final class ByteSink {
    private var buffer = ByteBufferAllocator().buffer(capacity: 256 * 1024)

    func write(_ bytes: UnsafeRawBufferPointer) {
        buffer.writeBytes(bytes)
    }

    /// Hands over what was written since the last call.
    func take() -> ByteBuffer {
        let taken = buffer
        buffer = ByteBufferAllocator().buffer(capacity: max(64 * 1024, taken.readableBytes + taken.readableBytes / 4))
        return taken
    }
}

/// The `write_packet` callback of a memory `AVIOContext` whose opaque is a `ByteSink`.
func byteSinkWrite(_ opaque: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<UInt8>?, _ size: Int32) -> Int32 {
    guard let opaque, let buffer, size > 0 else { return 0 }
    let sink = Unmanaged<ByteSink>.fromOpaque(opaque).takeUnretainedValue()
    sink.write(UnsafeRawBufferPointer(start: buffer, count: Int(size)))
    return size
}
