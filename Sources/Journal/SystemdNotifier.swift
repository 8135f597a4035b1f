#if canImport(Glibc)
import Glibc
#endif
import CSystemd

/// Tells the service manager what the daemon is doing (`sd_notify`): ready, status,
/// watchdog keep-alives, reloading and stopping.
///
/// Without `NOTIFY_SOCKET` (started by hand, not by systemd) every call does nothing, so
/// the daemon needs no special case.
public struct SystemdNotifier: Sendable {
    public init() {}

    /// Sends `state` (newline-separated `KEY=value` assignments); false if the manager
    /// could not be told (no socket is not a failure).
    @discardableResult
    public func notify(_ state: String) -> Bool {
        sd_notify(0, state) >= 0
    }

    /// `READY=1` with a status line: startup is complete.
    public func ready(status: String) { notify("READY=1\nSTATUS=\(status)") }

    /// `STATUS=…`: shown by `systemctl status`.
    public func status(_ status: String) { notify("STATUS=\(status)") }

    /// `WATCHDOG=1`: the processing loop is alive.
    public func watchdog() { notify("WATCHDOG=1") }

    /// `RELOADING=1` with `MONOTONIC_USEC`, as systemd ≥ 253 requires of reloads; answer
    /// with ``ready(status:)`` when done.
    public func reloading() { notify("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())\nSTATUS=reloading configuration") }

    /// `STOPPING=1`: shutdown has begun.
    public func stopping() { notify("STOPPING=1\nSTATUS=stopping") }

    /// The watchdog interval systemd expects pings within (`WATCHDOG_USEC` for this
    /// process), or nil when the watchdog is off.
    public var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }

    /// CLOCK_MONOTONIC in microseconds, the clock `MONOTONIC_USEC` is read on.
    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
