#if canImport(Glibc)
import Glibc
#endif
import CSystemd

/// Tells the service manager what the daemon is doing (`sd_notify`): ready, status,
/// watchdog keep-alives, reloading and stopping.
///
/// Without `NOTIFY_SOCKET` (started by hand, not by systemd) every call does nothing, so
/// the daemon needs no special case.
public struct SystemdNotifier: ServiceNotifier {
    public init() {}

    /// Sends `state` (newline-separated `KEY=value` assignments); false if the manager
    /// could not be told (no socket is not a failure).
    @discardableResult
    public func notify(_ state: String) -> Bool {
        sd_notify(0, state) >= 0
    }

    /// The watchdog interval systemd expects pings within (`WATCHDOG_USEC` for this
    /// process), or nil when the watchdog is off.
    public var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }

    /// CLOCK_MONOTONIC in microseconds, the clock `MONOTONIC_USEC` is read on.
    public static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
