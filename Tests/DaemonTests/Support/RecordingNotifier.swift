import Journal
import Synchronization

/// A ``ServiceNotifier`` that keeps what it was told, for in-process tests of what the
/// daemon tells systemd.
final class RecordingNotifier: ServiceNotifier {
    private let sent = Mutex<[String]>([])
    let watchdogInterval: Duration?

    init(watchdogInterval: Duration? = nil) {
        self.watchdogInterval = watchdogInterval
    }

    @discardableResult
    func notify(_ state: String) -> Bool {
        sent.withLock { $0.append(state) }
        return true
    }

    /// Every message sent, in order.
    var messages: [String] { sent.withLock { $0 } }

    /// How many messages contained `assignment` (e.g. `WATCHDOG=1`).
    func count(_ assignment: String) -> Int {
        messages.filter { $0.split(separator: "\n").contains { $0 == assignment } }.count
    }
}
