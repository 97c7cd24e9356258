import NIOCore

extension ChannelHandlerContext {
    /// Ends the output once what was written is sent, then closes after `linger`. Closing at once while the
    /// client is still sending (the rest of a body, a frame, a trickled head) makes the kernel answer with a
    /// reset, and the client may lose the answer it was about to read. The handler calling this drops
    /// further input.
    func closeAfterLinger(_ linger: TimeAmount = .seconds(2)) {
        close(mode: .output, promise: nil)
        eventLoop.assumeIsolated().scheduleTask(in: linger) { self.close(promise: nil) }
    }
}
