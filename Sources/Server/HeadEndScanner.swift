import NIOCore

/// Finds the blank line that ends an HTTP request head in bytes that arrive in pieces; leading empty lines,
/// which RFC 9112 lets a server ignore, do not count. Shared by `ConnectionGuard` (which keeps what follows
/// the head) and `FirstRequestRouter` (which reads the head).
struct HeadEndScanner {
    private var started = false
    private var recent: UInt32 = 0

    /// Looks at the next bytes of the stream; the offset within them just past the head's end, once found.
    mutating func scan(_ bytes: ByteBufferView) -> Int? {
        for (offset, byte) in bytes.enumerated() {
            if !started {
                guard byte != 0x0D && byte != 0x0A else { continue }
                started = true
            }
            recent = recent << 8 | UInt32(byte)
            if recent == 0x0D0A_0D0A { return offset + 1 }
        }
        return nil
    }
}
