import Journal
import Synchronization

/// The one `STATUS=` line systemd shows (`systemctl status retaind`): what processing is
/// doing, and how many checkpoints are pending. Processing and the watcher each update
/// their part; the line is sent when it changes.
final class StatusBoard: Sendable {
    private let notifier: any ServiceNotifier
    private let state = Mutex<(activity: String, pending: Int, sent: String)>(("idle", 0, "idle"))

    init(notifier: any ServiceNotifier) {
        self.notifier = notifier
    }

    /// What processing is doing (`processing /runs/checkpoint-20`, `idle; last: …`).
    func set(activity: String) {
        update { $0.activity = activity }
    }

    /// How many checkpoints are pending.
    func set(pending: Int) {
        update { $0.pending = pending }
    }

    /// The line as it stands.
    var line: String { state.withLock { Self.line($0.activity, $0.pending) } }

    private func update(_ change: (inout (activity: String, pending: Int, sent: String)) -> Void) {
        let line: String? = state.withLock { state in
            change(&state)
            let line = Self.line(state.activity, state.pending)
            guard line != state.sent else { return nil }
            state.sent = line
            return line
        }
        if let line { notifier.status(line) }
    }

    private static func line(_ activity: String, _ pending: Int) -> String {
        pending == 0 ? activity : "\(activity); \(pending) checkpoint\(pending == 1 ? "" : "s") pending"
    }
}
