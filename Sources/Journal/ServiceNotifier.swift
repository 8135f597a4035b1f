/// Tells a service manager what the daemon is doing: the seam between the daemon's
/// logic and systemd's notify protocol (``SystemdNotifier``), so that logic can be
/// tested in-process with a recording notifier.
public protocol ServiceNotifier: Sendable {
    /// Sends `state` (newline-separated `KEY=value` assignments); false if the manager
    /// could not be told (no manager at all is not a failure).
    @discardableResult
    func notify(_ state: String) -> Bool

    /// The interval the manager expects watchdog pings within, or nil when it has none.
    var watchdogInterval: Duration? { get }
}

extension ServiceNotifier {
    /// `READY=1` with a status line: startup (or a reload) is complete.
    /// The status line is escaped (``ControlCharacters``): a checkpoint path in it cannot add
    /// assignments such as `WATCHDOG=trigger` to the message.
    public func ready(status: String) { notify("READY=1\nSTATUS=\(ControlCharacters.escaped(status))") }

    /// `STATUS=…`: shown by `systemctl status`; escaped like ``ready(status:)``.
    public func status(_ status: String) { notify("STATUS=\(ControlCharacters.escaped(status))") }

    /// `WATCHDOG=1`: the daemon is making progress.
    public func watchdog() { notify("WATCHDOG=1") }

    /// `RELOADING=1` with `MONOTONIC_USEC`, as systemd ≥ 253 requires of reloads; answer
    /// with ``ready(status:)`` when done.
    public func reloading() {
        notify("RELOADING=1\nMONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())\nSTATUS=reloading configuration")
    }

    /// `STOPPING=1`: shutdown has begun.
    public func stopping() { notify("STOPPING=1\nSTATUS=stopping") }
}
