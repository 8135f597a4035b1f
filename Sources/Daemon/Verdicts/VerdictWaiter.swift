import Foundation
import History

/// Waits for checkpoints' outcomes in the history the daemon writes, for `retaind wait`.
///
/// It only reads. It sleeps on inotify — the database's directory (every commit writes
/// its `-wal` file) and, for `--latest`, the run directories — and looks again when
/// something changes, or every few seconds as a safety net (filesystems that drop
/// events); never a busy loop.
public final class VerdictWaiter {
    /// What to wait for.
    public enum Target: Sendable, Equatable {
        /// This checkpoint directory's outcome (it may not exist yet).
        case checkpoint(String)
        /// The outcome of the newest checkpoint of this run directory, including one
        /// that has not appeared yet.
        case latest(run: String)
    }

    private var history: HistoryStore
    private let coverage: WatchCoverage
    private let fallbackInterval: Double

    /// A waiter over `history` for `configuration`'s watches.
    public init(history: HistoryStore, configuration: Configuration, fallbackInterval: Double = 2) {
        self.history = history
        coverage = WatchCoverage(configuration)
        self.fallbackInterval = fallbackInterval
    }

    /// Refuses targets no watch covers, with the reason.
    public func check(_ targets: [Target]) throws(WatchCoverage.Refusal) {
        for target in targets {
            switch target {
            case .checkpoint(let path): _ = try coverage.watch(ofCheckpoint: path)
            case .latest(let run): _ = try coverage.watch(ofRun: run)
            }
        }
    }

    /// Waits until every target has an outcome, or `timeout` seconds (nil: forever);
    /// returns one verdict per target, in order (`waiting` for those without an outcome).
    public func wait(for targets: [Target], timeout: Double?) throws -> [Verdict] {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        let inotify = try Inotify()
        _ = inotify.add((history.path as NSString).deletingLastPathComponent)
        var watchedRuns = Set<String>()
        var identity = Self.identity(of: history.path)
        while true {
            // The daemon stops when its history is deleted or replaced, and starts again on a
            // new file: follow it there.
            if let now = Self.identity(of: history.path), now != identity, let reopened = try? HistoryStore(readingFrom: history.path) {
                history = reopened
                identity = now
            }
            for case .latest(let run) in targets where !watchedRuns.contains(run) {
                if case .success = inotify.add(run) { watchedRuns.insert(run) }
            }
            let verdicts = try targets.map(verdict(for:))
            if verdicts.allSatisfy({ $0.exitCode != Verdict.timedOut }) { return verdicts }
            let left = deadline.map { $0.timeIntervalSinceNow } ?? .infinity
            if left <= 0 { return verdicts }
            _ = inotify.read(timeout: min(left, fallbackInterval))
        }
    }

    /// The verdict of `target` now: its outcome, or what it waits for.
    public func verdict(for target: Target) throws -> Verdict {
        switch target {
        case .checkpoint(let path):
            return try verdict(checkpoint: LexicalPath.normalized(path), watch: try coverage.watch(ofCheckpoint: path))
        case .latest(let run):
            let watch = try coverage.watch(ofRun: run)
            let run = LexicalPath.normalized(run)
            guard let newest = WatchCoverage.newestCheckpoint(in: run, of: watch) else {
                return Verdict(waiting: run, for: "the first checkpoint of \(run) (\(watch.pattern))", watch: watch.name)
            }
            return try verdict(checkpoint: newest, watch: watch)
        }
    }

    /// The outcome of `path` if it is of the files there now (or the directory is gone);
    /// an outcome of an earlier version of a checkpoint rewritten in place does not count.
    private func verdict(checkpoint path: String, watch: Configuration.Watch) throws -> Verdict {
        let snapshot = DirectorySnapshot(directory: path)
        let recorded = try snapshot.map { try history.latestOutcome(path: path, signature: $0.signature) } ?? history.latestOutcome(path: path)
        if let outcome = recorded {
            // An outcome to be tried again is not the last word: wait for the retry.
            guard let retry = outcome.retryAt, snapshot != nil else { return Verdict(outcome) }
            let why = outcome.status == .error ? "\(outcome.status.rawValue): \(outcome.error ?? "")" : "asked by retaind retry"
            return Verdict(waiting: path, for: "a new attempt from \(Self.iso(retry)) (attempt \(outcome.attempts) was \(why))", watch: watch.name)
        }
        if let pending = try history.pending(path: path) {
            return Verdict(waiting: path, for: "pending since \(Self.iso(pending.firstSeen)): \(pending.reason)", watch: watch.name)
        }
        let what = snapshot == nil ? "the checkpoint to appear" : "the daemon to process it"
        return Verdict(waiting: path, for: what, watch: watch.name)
    }

    /// The device and inode of the file at `path`, if there is one.
    private static func identity(of path: String) -> [UInt64]? {
        var info = stat()
        return stat(path, &info) == 0 ? [UInt64(info.st_dev), UInt64(info.st_ino)] : nil
    }

    private static func iso(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
