import History
import Synchronization

/// Stops the daemon from inside, for what it must not run on with: its history deleted
/// or replaced while open (every outcome would go into a file no one reads).
///
/// The first error wins; the queue closes, processing finishes the checkpoint in hand,
/// and its service throws the error, so `retaind run` logs it and exits 1 (systemd then
/// restarts it on a fresh file).
final class FatalStop: Sendable {
    private let reason = Mutex<HistoryError?>(nil)
    private let queue: CandidateQueue

    init(queue: CandidateQueue) {
        self.queue = queue
    }

    /// Stops the daemon when `error` is fatal; returns whether it was.
    @discardableResult
    func stopIfFatal(_ error: any Error) -> Bool {
        guard let history = error as? HistoryError, case .replaced = history.reason else { return false }
        reason.withLock { if $0 == nil { $0 = history } }
        queue.close()
        return true
    }

    /// Why the daemon stopped, if it did.
    var error: HistoryError? { reason.withLock { $0 } }
}
