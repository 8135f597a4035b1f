import Foundation
import History
import Journal
import Logging
import Synchronization

/// Finds ready checkpoints under the watched roots and offers them to the queue, on a
/// thread of its own.
///
/// inotify says where to look (``WatchTree``); a periodic rescan is the safety net (NFS
/// and overlay filesystems drop events, and the queue may have been full); the first
/// scan finds what arrived while the daemon was down. ``CheckpointTracker`` decides when
/// a directory is handed over. Other threads talk to the watcher's thread only through
/// a mailbox (new watches, rechecks, stop) and read its heartbeat.
final class Watcher: @unchecked Sendable {
    // @unchecked: `tree`, `tracker` and `nextRescan` are confined to the watcher's
    // thread; everything shared is behind a Mutex or a semaphore.
    private struct Mailbox {
        var watches: [Configuration.Watch]?
        var stop = false
        var reconsider = false
        var rechecks: [(String, Date)] = []
    }

    private let queue: CandidateQueue
    private let history: any CheckpointHistory
    private let status: StatusBoard
    private let inFlight: InFlight?
    private let logger: Logger
    private let inotify: Inotify
    private let mailbox: Mutex<Mailbox>
    private let heartbeat = Mutex(Date())
    private let scanned = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let started = Mutex(false)

    private var tree: WatchTree
    private var tracker: CheckpointTracker
    private var nextRescan = Date.distantPast

    /// A watcher of `watches` that offers ready checkpoints to `queue`, asks `history`
    /// what is already done and tells it what is pending, and counts pending ones on
    /// `status`.
    init(watches: [Configuration.Watch], queue: CandidateQueue, history: any CheckpointHistory, status: StatusBoard,
         fatal: FatalStop? = nil, inFlight: InFlight? = nil, logger: Logger) throws(DaemonError) {
        self.inFlight = inFlight
        self.queue = queue
        self.history = history
        self.status = status
        inotify = try Inotify()
        tree = WatchTree(inotify: inotify, logger: logger)
        let recorder = PendingRecorder(history: history, fatal: fatal, logger: logger)
        tracker = CheckpointTracker(logger: logger, report: recorder.record)
        mailbox = Mutex(Mailbox(watches: watches))
        self.logger = logger
        tree.progress = { [unowned self] in heartbeat.withLock { $0 = Date() } }
    }

    /// Starts the thread and returns once the first full scan is done.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "retaind-watcher"
        started.withLock { $0 = true }
        thread.start()
        scanned.wait()
    }

    /// Stops the thread and waits for it.
    func stop() {
        mailbox.withLock { $0.stop = true }
        inotify.wake()
        if started.withLock({ $0 }) { finished.wait() }
        started.withLock { $0 = false }
    }

    /// Replaces the watch list (reload); returns once the new roots have been scanned.
    func reconfigure(_ watches: [Configuration.Watch]) {
        guard started.withLock({ $0 }), !mailbox.withLock({ $0.stop }) else { return }
        mailbox.withLock { $0.watches = watches }
        inotify.wake()
        scanned.wait()
    }

    /// Looks at every checkpoint again now, also those with an outcome: `retaind retry`
    /// marked one to redo (SIGUSR1).
    func reconsiderAll() {
        mailbox.withLock { $0.reconsider = true }
        inotify.wake()
    }

    /// Looks at `path` again at `time` (its outcome is to be retried then).
    func recheck(_ path: String, at time: Date) {
        mailbox.withLock { $0.rechecks.append((path, time)) }
        inotify.wake()
    }

    /// When the watcher's loop last ran: it runs at least every second.
    var lastHeartbeat: Date { heartbeat.withLock { $0 } }

    // MARK: The thread

    private func run() {
        defer { finished.signal() }
        while true {
            let mail = mailbox.withLock { box in
                defer { box.watches = nil; box.reconsider = false; box.rechecks = [] }
                return box
            }
            for (path, time) in mail.rechecks { tracker.recheck(path, at: time) }
            if mail.reconsider {
                tracker.reconsiderAll()
                nextRescan = .distantPast
            }
            if mail.stop {
                scanned.signal()  // a reload racing the stop must not wait for a scan
                return
            }
            if let watches = mail.watches {
                tracker.remap(from: tree.watches, to: watches)
                tree.replace(watches)
                rescan()
                scanned.signal()
            }
            let now = Date()
            heartbeat.withLock { $0 = now }
            if now >= nextRescan { rescan() }
            for (path, location) in tracker.due(now) { evaluate(path, location) }

            let wake = min(nextRescan, tracker.nextRecheck, Date().addingTimeInterval(1))
            let changes = tree.apply(inotify.read(timeout: wake.timeIntervalSinceNow))
            if changes.overflowed {
                logger.notice("inotify queue overflowed; rescanning")
                rescan()
            }
            for prefix in changes.removed { tracker.forgetSubtree(prefix) }
            for (path, location) in changes.appearedAndGone { tracker.appearedAndGone(path, at: location, watches: tree.watches) }
            for (path, location, appeared) in changes.checkpoints { evaluate(path, location, appeared: appeared) }
            status.set(pending: tracker.pendingCount)
        }
    }

    /// Walks every root: finds new checkpoint directories and forgets vanished ones.
    private func rescan() {
        let found = tree.scan()
        for (path, location, _) in found { evaluate(path, location) }
        tracker.keepOnly(found.paths)
        nextRescan = Date().addingTimeInterval(tree.watches.map(\.rescanSeconds).min() ?? 60)
    }

    private func evaluate(_ path: String, _ location: CheckpointTracker.Location, appeared: Bool = false) {
        tracker.evaluate(path, at: location, watches: tree.watches, patterns: tree.patterns, appeared: appeared, offer: queue.offer) { path, signature in
            if inFlight?.contains(path) == true { return .done }
            if (try? history.hasOutcome(path: path, signature: signature)) != true { return .none }
            return ((try? history.nextRetry(path: path, signature: signature)) ?? nil).map { .retry(at: $0) } ?? .done
        }
    }
}
