import Dispatch
import Foundation
import Logging

/// Ends the process `seconds` after the first SIGTERM or SIGINT if the graceful shutdown has not finished
/// by then, whatever is stuck: a client that never answers the close handshake, a store that does not
/// answer, a blocked thread. It runs on a dispatch queue of its own, not on the cooperative pool, so it
/// fires even when every pool thread is blocked (the state in which the server once ignored SIGTERM).
/// A second signal ends the process at once.
final class DrainDeadline: @unchecked Sendable {
    // @unchecked: the sources are created in `init` and only kept alive afterwards; their handlers run on
    // `queue` and touch nothing but `signalled`, which only they use.
    private let queue = DispatchQueue(label: "senate-live.drain-deadline")
    private var sources: [any DispatchSourceSignal] = []
    private var signalled = false

    init(seconds: Double, logger: Logger) {
        for number in [SIGTERM, SIGINT] {
            // The signal's default action (ending the process at once) must be off for the source to see it;
            // ServiceLifecycle does the same for its own handling.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in
                guard !signalled else {
                    Self.exit("a second signal during the drain: exiting now", logger: logger)
                }
                signalled = true
                queue.asyncAfter(deadline: .now() + seconds) {
                    Self.exit("the drain did not finish within drainTimeout (\(seconds) s): exiting", logger: logger)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    private static func exit(_ message: String, logger: Logger) -> Never {
        logger.critical("\(message)")
        // `_exit`, not `exit`: atexit handlers and stream locks may belong to the threads that are stuck.
        _exit(1)
    }
}
