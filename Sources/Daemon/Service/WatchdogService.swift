import Foundation
import Journal
import ServiceLifecycle

/// Feeds systemd's watchdog while the daemon makes progress: the checkpoint in progress
/// is within its deadline (``ProgressDeadline``) and the watcher's loop has run within
/// the interval. A stuck pass or a stuck watcher stops the pings, and systemd restarts
/// the daemon.
struct WatchdogService: Service {
    let notifier: any ServiceNotifier
    let deadline: ProgressDeadline
    /// When the watcher's loop last ran.
    let heartbeat: @Sendable () -> Date
    let now: @Sendable () -> Date

    init(notifier: any ServiceNotifier, deadline: ProgressDeadline, heartbeat: @escaping @Sendable () -> Date,
         now: @escaping @Sendable () -> Date = Date.init) {
        self.notifier = notifier
        self.deadline = deadline
        self.heartbeat = heartbeat
        self.now = now
    }

    /// Whether the daemon counts as alive for a watchdog of `interval` seconds.
    func isAlive(interval: TimeInterval) -> Bool {
        deadline.isMet && now().timeIntervalSince(heartbeat()) < max(interval, 2)
    }

    /// One beat: pings when the daemon is alive for a watchdog of `interval` seconds.
    func beat(interval: TimeInterval) {
        if isAlive(interval: interval) { notifier.watchdog() }
    }

    func run() async throws {
        guard let interval = notifier.watchdogInterval else {
            try? await gracefulShutdown()
            return
        }
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                beat(interval: seconds)
                try? await Task.sleep(for: interval / 3)
            }
        }
    }
}
