#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import SafeTensors

/// Finds complete checkpoints under the watched roots and offers them to the queue.
///
/// inotify says where to look; a periodic rescan is the safety net (NFS and overlay
/// filesystems drop events, and the queue may have been full); the first scan finds what
/// arrived while the daemon was down. A directory is offered once it is complete
/// (``CheckpointCompleteness``, the completion marker) and its files have not changed
/// for `settle_seconds`; offered again only when its files change. Everything runs on
/// one thread owned by the watcher, so its state needs no locks.
final class Watcher: @unchecked Sendable {
    /// What the watcher knows of one checkpoint directory.
    private struct Tracked {
        var watch: Int
        var root: String
        var snapshot: DirectorySnapshot
        /// Since when `snapshot` has been unchanged.
        var quietSince: Date
        var state: State
    }

    private enum State: Equatable {
        /// Not complete yet, or not quiet yet; `recheck` is when to look again.
        case waiting(recheck: Date?)
        /// Handed to the queue (or found done in the history) with this snapshot.
        case handedOver
        /// A restored output (`retaind.json`): never a candidate.
        case ignored
    }

    private struct WatchedDirectory {
        let watch: Int
        let root: String
        let path: String
        /// 0 for a root; `pattern.depth` for a checkpoint directory.
        let level: Int
    }

    private let queue: CandidateQueue
    private let alreadyDone: @Sendable (_ path: String, _ signature: String) -> Bool
    private let logger: Logger
    private let inotify: Inotify

    private let mailbox = NSLock()
    private var pendingWatches: [Configuration.Watch]?
    private var stopRequested = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    private let heartbeatLock = NSLock()
    private var lastLoop = Date()
    private let scanned = DispatchSemaphore(value: 0)

    // Thread-confined.
    private var watches: [Configuration.Watch] = []
    private var patterns: [CheckpointPattern] = []
    private var directories: [Int32: WatchedDirectory] = [:]
    private var descriptorOfPath: [String: Int32] = [:]
    private var tracked: [String: Tracked] = [:]
    private var nextRescan = Date.distantPast

    init(watches: [Configuration.Watch], queue: CandidateQueue, logger: Logger,
         alreadyDone: @escaping @Sendable (String, String) -> Bool) throws(DaemonError) {
        self.queue = queue
        self.logger = logger
        self.alreadyDone = alreadyDone
        self.inotify = try Inotify()
        self.pendingWatches = watches
    }

    /// Starts the thread and returns once the first full scan is done.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "retaind-watcher"
        self.thread = thread
        thread.start()
        scanned.wait()
    }

    /// Stops the thread and waits for it.
    func stop() {
        mailbox.lock()
        stopRequested = true
        mailbox.unlock()
        inotify.wake()
        if thread != nil { finished.wait() }
        thread = nil
    }

    /// Replaces the watch list (reload); returns once the new roots have been scanned.
    func reconfigure(_ watches: [Configuration.Watch]) {
        mailbox.lock()
        pendingWatches = watches
        mailbox.unlock()
        inotify.wake()
        scanned.wait()
    }

    /// When the watcher's loop last ran: it runs at least every second.
    var lastHeartbeat: Date {
        heartbeatLock.lock()
        defer { heartbeatLock.unlock() }
        return lastLoop
    }

    // MARK: The thread

    private func run() {
        defer { finished.signal() }
        while true {
            mailbox.lock()
            let stop = stopRequested
            let newWatches = pendingWatches
            pendingWatches = nil
            mailbox.unlock()
            if stop { return }
            if let newWatches {
                apply(newWatches)
                rescan()
                scanned.signal()
            }
            let now = Date()
            heartbeatLock.lock()
            lastLoop = now
            heartbeatLock.unlock()
            if now >= nextRescan { rescan() }
            recheckDue(now)

            let wake = min(nextRescan, nextRecheck(), Date().addingTimeInterval(1))
            let events = inotify.read(timeout: wake.timeIntervalSinceNow)
            handle(events)
        }
    }

    private func apply(_ newWatches: [Configuration.Watch]) {
        for (wd, _) in directories { inotify.remove(wd) }
        directories.removeAll()
        descriptorOfPath.removeAll()
        // Keep what is known of checkpoints of watches that stay, so a reload does not
        // re-offer them; re-index them to the new list.
        let oldNames = watches.map(\.name)
        var remapped: [String: Tracked] = [:]
        for (path, var entry) in tracked {
            guard let index = newWatches.firstIndex(where: { $0.name == oldNames[entry.watch] }) else { continue }
            entry.watch = index
            remapped[path] = entry
        }
        tracked = remapped
        watches = newWatches
        patterns = newWatches.map { CheckpointPattern($0.pattern) }
    }

    /// Walks every root to the pattern's depth: adds inotify watches on the way, finds
    /// new checkpoint directories and forgets vanished ones.
    private func rescan() {
        var seen = Set<String>()
        for (index, watch) in watches.enumerated() {
            for root in watch.dirs {
                walk(root, level: 0, watch: index, root: root, seen: &seen)
            }
        }
        for path in tracked.keys where !seen.contains(path) {
            forget(path)
        }
        let interval = watches.map(\.rescanSeconds).min() ?? 60
        nextRescan = Date().addingTimeInterval(interval)
    }

    private func walk(_ path: String, level: Int, watch: Int, root: String, seen: inout Set<String>) {
        let pattern = patterns[watch]
        guard isDirectory(path) else {
            if level == 0 { logger.debug("watched directory is missing", metadata: ["retaind.watch": "\(watches[watch].name)", "retaind.dir": "\(path)"]) }
            return
        }
        addWatch(path, level: level, watch: watch, root: root)
        if level == pattern.depth {
            seen.insert(path)
            evaluate(path, watch: watch, root: root)
            return
        }
        guard let children = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        for name in children where pattern.matches(name, level: level) {
            walk(path + "/" + name, level: level + 1, watch: watch, root: root, seen: &seen)
        }
    }

    private func addWatch(_ path: String, level: Int, watch: Int, root: String) {
        guard descriptorOfPath[path] == nil else { return }
        switch inotify.add(path) {
        case .success(let wd):
            directories[wd] = WatchedDirectory(watch: watch, root: root, path: path, level: level)
            descriptorOfPath[path] = wd
        case .failure(let error):
            if case .system(_, _, let code) = error, code == ENOENT || code == ENOTDIR { return }
            logger.warning("cannot watch a directory; the periodic rescan still covers it",
                           metadata: ["retaind.dir": "\(path)", "retaind.error": "\(error)"])
        }
    }

    private func handle(_ events: [Inotify.Event]) {
        var dirty = Set<String>()
        for event in events {
            if event.overflowed {
                logger.notice("inotify queue overflowed; rescanning")
                rescan()
                continue
            }
            guard let directory = directories[event.descriptor] else { continue }
            if event.mask & UInt32(IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
                directories[event.descriptor] = nil
                if descriptorOfPath[directory.path] == event.descriptor { descriptorOfPath[directory.path] = nil }
                if directory.level == patterns[directory.watch].depth { dirty.insert(directory.path) }
                continue
            }
            if directory.level == patterns[directory.watch].depth {
                dirty.insert(directory.path)
            } else if event.isDirectory, patterns[directory.watch].matches(event.name, level: directory.level) {
                let child = directory.path + "/" + event.name
                if event.mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 {
                    // A directory renamed in arrives with its files: walk it now.
                    var seen = Set<String>()
                    walk(child, level: directory.level + 1, watch: directory.watch, root: directory.root, seen: &seen)
                } else if event.mask & UInt32(IN_DELETE | IN_MOVED_FROM) != 0 {
                    forgetSubtree(child)
                }
            }
        }
        for path in dirty {
            guard let entry = tracked[path] else {
                if isDirectory(path), let directory = descriptorOfPath[path].flatMap({ directories[$0] }) {
                    evaluate(path, watch: directory.watch, root: directory.root)
                }
                continue
            }
            evaluate(path, watch: entry.watch, root: entry.root)
        }
    }

    private func forgetSubtree(_ prefix: String) {
        for path in tracked.keys where path == prefix || path.hasPrefix(prefix + "/") { forget(path) }
        for (path, wd) in descriptorOfPath where path == prefix || path.hasPrefix(prefix + "/") {
            inotify.remove(wd)
            directories[wd] = nil
            descriptorOfPath[path] = nil
        }
    }

    /// A checkpoint directory is gone. A queued one is left in the queue: the pipeline
    /// records it `vanished`.
    private func forget(_ path: String) {
        tracked[path] = nil
    }

    private func recheckDue(_ now: Date) {
        for (path, entry) in tracked {
            if case .waiting(let recheck?) = entry.state, recheck <= now {
                evaluate(path, watch: entry.watch, root: entry.root)
            }
        }
    }

    private func nextRecheck() -> Date {
        var next = Date.distantFuture
        for entry in tracked.values {
            if case .waiting(let recheck?) = entry.state { next = min(next, recheck) }
        }
        return next
    }

    // MARK: Completeness

    /// Looks at one checkpoint directory and offers it when it is ready.
    private func evaluate(_ path: String, watch index: Int, root: String) {
        guard let snapshot = DirectorySnapshot(directory: path) else {
            forget(path)
            return
        }
        let now = Date()
        var entry: Tracked
        if var known = tracked[path] {
            if known.snapshot != snapshot {
                // A queued older version stays queued: the pipeline skips it when its files
                // differ, or records it vanished when they are gone.
                known.snapshot = snapshot
                known.quietSince = now
                known.state = .waiting(recheck: nil)
            }
            entry = known
        } else {
            // Files older than now have been quiet since they were written, so a
            // checkpoint that arrived while the daemon was down needs no extra wait.
            entry = Tracked(watch: index, root: root, snapshot: snapshot, quietSince: min(now, snapshot.newestChange),
                            state: .waiting(recheck: nil))
        }
        defer { tracked[path] = entry }
        guard case .waiting = entry.state else { return }
        if snapshot.contains("retaind.json") {
            entry.state = .ignored
            return
        }
        let watch = watches[index]
        let quiet = now.timeIntervalSince(entry.quietSince)
        switch CheckpointCompleteness.of(directory: path) {
        case .noWeights:
            entry.state = .waiting(recheck: nil)
            return
        case .missing, .short:
            // A file that stays missing or shorter than its header is lost or truncated,
            // not being written: the pipeline then rejects the checkpoint with the reason.
            guard quiet >= watch.stalledSeconds else {
                entry.state = .waiting(recheck: entry.quietSince.addingTimeInterval(watch.stalledSeconds))
                return
            }
        case .complete:
            guard markerPresent(path, snapshot: snapshot, watch: watch, pattern: patterns[index]) else {
                entry.state = .waiting(recheck: nil)
                return
            }
            guard quiet >= watch.settleSeconds else {
                entry.state = .waiting(recheck: entry.quietSince.addingTimeInterval(watch.settleSeconds))
                return
            }
        }
        let signature = snapshot.signature
        if alreadyDone(path, signature) {
            entry.state = .handedOver
            return
        }
        let candidate = Candidate(path: path, watch: watch.name, root: root, signature: signature, detectedAt: now)
        if queue.offer(candidate) {
            entry.state = .handedOver
            logger.debug("checkpoint complete", metadata: ["retaind.checkpoint": "\(path)", "retaind.watch": "\(watch.name)"])
        } else {
            entry.state = .waiting(recheck: now.addingTimeInterval(1))
        }
    }

    private func markerPresent(_ path: String, snapshot: DirectorySnapshot, watch: Configuration.Watch,
                               pattern: CheckpointPattern) -> Bool {
        switch watch.completionMarker {
        case .none:
            return true
        case .file(let name):
            return snapshot.contains(name)
        case .auto:
            if snapshot.contains("trainer_state.json") { return true }
            let trainerFiles = snapshot.entries.contains {
                ["optimizer.pt", "scheduler.pt", "training_args.bin"].contains($0.name)
                    || ($0.name.hasPrefix("rng_state") && $0.name.hasSuffix(".pth"))
            }
            if trainerFiles { return false }
            // A run whose other checkpoints carry trainer_state.json writes one here too.
            let parent = (path as NSString).deletingLastPathComponent
            let me = (path as NSString).lastPathComponent
            guard let siblings = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return true }
            return !siblings.contains { name in
                name != me && pattern.matches(name, level: pattern.depth - 1) && access(parent + "/" + name + "/trainer_state.json", F_OK) == 0
            }
        }
    }

    private func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
