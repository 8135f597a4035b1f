import Journal
import Synchronization

/// The one `STATUS=` line systemd shows (`systemctl status retaind`): what processing is
/// doing, and how many checkpoints are pending. Processing and the watcher each update
/// their part; the line is sent when it changes.
final class StatusBoard: Sendable {
    private let notifier: any ServiceNotifier
    private let state = Mutex<(activity: String, pending: Int, backlog: Int, sent: String)>(("idle", 0, 0, "idle"))

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

    /// How many outcomes wait for the central history.
    func set(centralBacklog: Int) {
        update { $0.backlog = centralBacklog }
    }

    /// The line as it stands.
    var line: String { state.withLock { Self.line($0.activity, $0.pending, $0.backlog) } }

    private func update(_ change: (inout (activity: String, pending: Int, backlog: Int, sent: String)) -> Void) {
        let line: String? = state.withLock { state in
            change(&state)
            let line = Self.line(state.activity, state.pending, state.backlog)
            guard line != state.sent else { return nil }
            state.sent = line
            return line
        }
        if let line { notifier.status(line) }
    }

    private static func line(_ activity: String, _ pending: Int, _ backlog: Int) -> String {
        var line = activity
        if pending > 0 { line += "; \(pending) checkpoint\(pending == 1 ? "" : "s") pending" }
        if backlog > 0 { line += "; \(backlog) outcome\(backlog == 1 ? "" : "s") to deliver to the central history" }
        return line
    }
}
