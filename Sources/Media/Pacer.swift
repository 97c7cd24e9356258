import Dispatch

/// Releases packets no faster than their timestamps, so a file plays "as live".
struct Pacer {
    let enabled: Bool
    private var anchor: (wall: UInt64, media: Double)?
    /// A jump in timestamps larger than this re-anchors instead of sleeping through it.
    private static let maximumLead = 5.0

    init(enabled: Bool) {
        self.enabled = enabled
    }

    /// Sleeps until media time `dts` is due. Returns false when a stop was requested meanwhile.
    mutating func wait(until dts: Double, control: InterruptControl) -> Bool {
        guard enabled else { return !control.isStopRequested }
        let now = DispatchTime.now().uptimeNanoseconds
        guard let anchor else {
            self.anchor = (now, dts)
            return !control.isStopRequested
        }
        let due = Double(anchor.wall) / 1e9 + (dts - anchor.media)
        let lead = due - Double(now) / 1e9
        if lead > Self.maximumLead || lead < -Self.maximumLead {
            self.anchor = (now, dts)
            return !control.isStopRequested
        }
        return lead > 0 ? control.sleep(lead) : !control.isStopRequested
    }
}
