import Foundation
import Synchronization

/// How long the checkpoint in progress may take before the daemon counts as stuck: the
/// watchdog stops being fed past it, and systemd restarts the daemon.
///
/// Each long step (a drift pass, a restore, an evaluation) gets 2 minutes plus 20 s per
/// GB of weights: far above their measured cost (≈ 20 s for 2 GB), so only a stuck
/// pass misses it. Time comes from `now`, so tests run it on a clock of their own.
final class ProgressDeadline: Sendable {
    private let state = Mutex<(deadline: Date, allowance: TimeInterval)?>(nil)
    private let now: @Sendable () -> Date

    init(now: @escaping @Sendable () -> Date = Date.init) {
        self.now = now
    }

    /// The allowance of one step over `weightBytes` of weights.
    static func allowance(weightBytes: Int) -> TimeInterval {
        120 + 20 * Double(weightBytes) / 1e9
    }

    /// A checkpoint of `weightBytes` starts: its first step's deadline runs from now.
    func begin(weightBytes: Int) {
        let allowance = Self.allowance(weightBytes: weightBytes)
        let start = now()
        state.withLock { $0 = (start.addingTimeInterval(allowance), allowance) }
    }

    /// The next long step starts: it gets a deadline as long as the first.
    func refresh() {
        let start = now()
        state.withLock { current in
            if let allowance = current?.allowance { current = (start.addingTimeInterval(allowance), allowance) }
        }
    }

    /// The checkpoint is done: nothing is in progress.
    func end() {
        state.withLock { $0 = nil }
    }

    /// False once the step in progress has run past its deadline.
    var isMet: Bool {
        let time = now()
        return state.withLock { current in current.map { time < $0.deadline } ?? true }
    }
}
