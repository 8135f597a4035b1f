#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// The directories inotify watches: every watched root and every directory on the way
/// down to checkpoint depth, and where each belongs.
///
/// It turns a walk or a batch of events into the checkpoint directories to look at; what
/// to do with them is ``CheckpointTracker``'s. Confined to the watcher's thread.
struct WatchTree {
    typealias Location = CheckpointTracker.Location

    /// What a batch of events means for the checkpoints.
    struct Changes {
        /// Checkpoint directories whose files (or existence) changed, in the order the
        /// events came (so checkpoints are queued in the order they arrived), once each.
        var checkpoints = OrderedCheckpoints()
        /// Directories above checkpoint depth that went away, with everything under them.
        var removed: [String] = []
        /// The kernel dropped events: only a full scan is safe.
        var overflowed = false
        /// Checkpoint directories that appeared and were gone before they could be looked
        /// at (a Trainer rotating them away at once): each still gets a `vanished` outcome.
        var appearedAndGone: [(String, Location)] = []
    }

    /// Checkpoint directories with where they belong, in order of discovery, once each;
    /// `appeared` when an event said the directory was just created or moved in (so if it
    /// goes away before its outcome, it vanished), not found by a scan or changed.
    struct OrderedCheckpoints: Sequence {
        typealias Element = (path: String, location: Location, appeared: Bool)
        private(set) var paths: Set<String> = []
        private var items: [Element] = []

        mutating func append(_ path: String, _ location: Location, appeared: Bool) {
            if paths.insert(path).inserted {
                items.append((path, location, appeared))
            } else if appeared, let i = items.firstIndex(where: { $0.path == path }) {
                items[i].appeared = true
            }
        }

        func makeIterator() -> IndexingIterator<[Element]> { items.makeIterator() }
    }

    private struct WatchedDirectory {
        let location: Location
        let path: String
        /// 0 for a root; `pattern.depth` for a checkpoint directory.
        let level: Int
    }

    private let inotify: Inotify
    private let logger: Logger
    /// Called for every directory walked: a long scan (a large NFS tree) is progress,
    /// and the watchdog must see it.
    var progress: () -> Void = {}
    private(set) var watches: [Configuration.Watch] = []
    private(set) var patterns: [CheckpointPattern] = []
    private var directories: [Int32: WatchedDirectory] = [:]
    private var descriptorOfPath: [String: Int32] = [:]
    /// What each root resolved to at the last scan: a root that is a symlink re-pointed
    /// elsewhere gets its watches dropped and its new target walked.
    private var resolvedRoots: [String: String] = [:]

    init(inotify: Inotify, logger: Logger) {
        self.inotify = inotify
        self.logger = logger
    }

    /// Drops every inotify watch and takes the new list; a ``scan()`` adds them again.
    mutating func replace(_ newWatches: [Configuration.Watch]) {
        for wd in directories.keys { inotify.remove(wd) }
        directories.removeAll()
        descriptorOfPath.removeAll()
        resolvedRoots.removeAll()
        watches = newWatches
        patterns = newWatches.map { CheckpointPattern($0.pattern) }
    }

    /// Walks every root to the pattern's depth, adding inotify watches on the way, and
    /// returns every checkpoint directory found.
    mutating func scan() -> OrderedCheckpoints {
        var found = OrderedCheckpoints()
        for (index, watch) in watches.enumerated() {
            for root in watch.dirs {
                let target = Self.resolved(root)
                if let previous = resolvedRoots[root], previous != target {
                    logger.notice("watched directory now resolves elsewhere; watching its new target", metadata: [
                        "retaind.dir": "\(root)", "retaind.target": "\(target ?? "nothing")",
                    ])
                    unwatchSubtree(root)
                }
                resolvedRoots[root] = target
                walk(root, level: 0, location: Location(watch: index, root: root), appeared: false, found: &found)
            }
        }
        return found
    }

    /// What `events` mean; directories created or moved in above checkpoint depth are
    /// walked at once (a directory renamed in arrives with its files).
    mutating func apply(_ events: [Inotify.Event]) -> Changes {
        var changes = Changes()
        for event in events {
            if event.overflowed {
                changes.overflowed = true
                continue
            }
            guard let directory = directories[event.descriptor] else { continue }
            let atCheckpointDepth = directory.level == patterns[directory.location.watch].depth
            if event.mask & UInt32(IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
                directories[event.descriptor] = nil
                if descriptorOfPath[directory.path] == event.descriptor { descriptorOfPath[directory.path] = nil }
                if atCheckpointDepth { changes.checkpoints.append(directory.path, directory.location, appeared: false) }
                continue
            }
            if atCheckpointDepth {
                changes.checkpoints.append(directory.path, directory.location, appeared: false)
            } else if event.isDirectory, patterns[directory.location.watch].matches(event.name, level: directory.level),
                      !Self.isStaging(event.name, level: directory.level, pattern: patterns[directory.location.watch]) {
                let child = directory.path + "/" + event.name
                if event.mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 {
                    if directory.level + 1 == patterns[directory.location.watch].depth, !Self.isDirectory(child) {
                        changes.appearedAndGone.append((child, directory.location))
                        continue
                    }
                    walk(child, level: directory.level + 1, location: directory.location, appeared: true, found: &changes.checkpoints)
                } else if event.mask & UInt32(IN_DELETE | IN_MOVED_FROM) != 0 {
                    unwatchSubtree(child)
                    changes.removed.append(child)
                }
            }
        }
        return changes
    }

    private mutating func walk(_ path: String, level: Int, location: Location, appeared: Bool, found: inout OrderedCheckpoints) {
        let pattern = patterns[location.watch]
        guard Self.isDirectory(path) else {
            if level == 0 {
                logger.debug("watched directory is missing", metadata: ["retaind.watch": "\(watches[location.watch].name)", "retaind.dir": "\(path)"])
            }
            return
        }
        progress()
        addWatch(path, level: level, location: location)
        if level == pattern.depth {
            found.append(path, location, appeared: appeared)
            return
        }
        guard let children = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        // Trainer staging directories (`tmp-checkpoint-*`) are renamed when done: wait for that.
        for name in children where pattern.matches(name, level: level) && !Self.isStaging(name, level: level, pattern: pattern) {
            walk(path + "/" + name, level: level + 1, location: location, appeared: appeared, found: &found)
        }
    }

    private mutating func addWatch(_ path: String, level: Int, location: Location) {
        guard descriptorOfPath[path] == nil else { return }
        switch inotify.add(path) {
        case .success(let wd):
            directories[wd] = WatchedDirectory(location: location, path: path, level: level)
            descriptorOfPath[path] = wd
        case .failure(let error):
            if case .system(let failure) = error, failure.errno == ENOENT || failure.errno == ENOTDIR { return }
            logger.warning("cannot watch a directory; the periodic rescan still covers it",
                           metadata: ["retaind.dir": "\(path)", "retaind.error": "\(error)"])
        }
    }

    private mutating func unwatchSubtree(_ prefix: String) {
        for (path, wd) in descriptorOfPath where path == prefix || path.hasPrefix(prefix + "/") {
            inotify.remove(wd)
            directories[wd] = nil
            descriptorOfPath[path] = nil
        }
    }

    /// Whether `name` at `level` is a Trainer's staging directory for a checkpoint.
    static func isStaging(_ name: String, level: Int, pattern: CheckpointPattern) -> Bool {
        level == pattern.depth - 1 && name.hasPrefix("tmp-checkpoint-")
    }

    /// What `path` resolves to through symlinks, or nil when it does not exist.
    private static func resolved(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
