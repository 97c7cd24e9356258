import CFFmpeg
import Foundation
import Synchronization

/// Shared between the ingest thread and whoever stops it: FFmpeg polls `shouldInterrupt` from inside
/// blocking calls (open, read), so a dead network source or a shutdown never leaves a thread stuck.
final class InterruptControl: Sendable {
    private let stopRequested = Atomic<Bool>(false)
    /// Monotonic deadline in nanoseconds for the blocking call in progress; 0 means none.
    private let deadline = Atomic<UInt64>(0)
    /// The context whose first bytes `firstDataAt` waits for (its address; 0: none). Read by the callback,
    /// which FFmpeg calls on the ingest thread between the reads of a blocking call.
    private let watched = Atomic<UInt>(0)
    /// Wall clock (microseconds since 1970) when the watched context had read its first bytes; 0: not yet.
    private let firstDataMicros = Atomic<UInt64>(0)

    var isStopRequested: Bool { stopRequested.load(ordering: .acquiring) }

    func requestStop() { stopRequested.store(true, ordering: .releasing) }

    /// Arms a timeout for the next blocking call.
    func arm(timeout seconds: Double) {
        deadline.store(DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9), ordering: .relaxed)
    }

    func disarm() { deadline.store(0, ordering: .relaxed) }

    var hasTimedOut: Bool {
        let limit = deadline.load(ordering: .relaxed)
        return limit != 0 && DispatchTime.now().uptimeNanoseconds > limit
    }

    var shouldInterrupt: Bool {
        noteFirstData()
        return isStopRequested || hasTimedOut
    }

    /// Starts watching `context` for its first bytes: the moment media starts arriving, which is what a
    /// live input's wall clock is anchored to (not when probing ends, up to seconds later).
    func watchFirstData(of context: UnsafeMutablePointer<AVFormatContext>) {
        firstDataMicros.store(0, ordering: .relaxed)
        watched.store(UInt(bitPattern: context), ordering: .relaxed)
    }

    /// Stops watching; returns when the first bytes arrived, if they were seen.
    func endWatch() -> Date? {
        noteFirstData()
        watched.store(0, ordering: .relaxed)
        let micros = firstDataMicros.load(ordering: .relaxed)
        return micros == 0 ? nil : Date(timeIntervalSince1970: Double(micros) / 1e6)
    }

    private func noteFirstData() {
        let address = watched.load(ordering: .relaxed)
        guard address != 0, firstDataMicros.load(ordering: .relaxed) == 0,
              let context = UnsafeMutablePointer<AVFormatContext>(bitPattern: address),
              let pb = context.pointee.pb, pb.pointee.bytes_read > 0 else { return }
        firstDataMicros.store(UInt64(Date().timeIntervalSince1970 * 1e6), ordering: .relaxed)
    }

    /// The callback record to hand to an `AVFormatContext`; `self` must outlive that context.
    var callback: AVIOInterruptCB {
        AVIOInterruptCB(callback: interruptCallback, opaque: Unmanaged.passUnretained(self).toOpaque())
    }

    /// Sleeps up to `seconds`, waking early when a stop is requested. Returns false when stopped.
    @discardableResult
    func sleep(_ seconds: Double) -> Bool {
        let end = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, seconds) * 1e9)
        while !isStopRequested {
            let now = DispatchTime.now().uptimeNanoseconds
            if now >= end { return true }
            let step = min(end - now, 50_000_000)
            Thread.sleep(forTimeInterval: Double(step) / 1e9)
        }
        return false
    }
}

private func interruptCallback(_ opaque: UnsafeMutableRawPointer?) -> Int32 {
    guard let opaque else { return 0 }
    return Unmanaged<InterruptControl>.fromOpaque(opaque).takeUnretainedValue().shouldInterrupt ? 1 : 0
}
