import Foundation
import Logging

/// What the watcher knows of each checkpoint directory, and the settle state machine
/// that decides when to hand one to the queue: offered once when ready, offered again
/// only when its files change.
///
/// Confined to the watcher's thread.
struct CheckpointTracker {
    /// Where a checkpoint directory belongs: its watch (an index into the watch list)
    /// and the watched root it was found under.
    struct Location: Equatable {
        let watch: Int
        let root: String
    }

    private struct Tracked {
        var location: Location
        var snapshot: DirectorySnapshot
        /// Since when `snapshot` has been unchanged.
        var quietSince: Date
        var state: State
        /// The pending reason last reported, and when.
        var reported: (reason: CheckpointReadiness.PendingReason, at: Date)?
        /// It was created or moved in while watched: if it goes before its outcome, it vanished.
        var appeared = false
    }

    /// What the history is told about pending checkpoints.
    enum PendingUpdate {
        /// `path` of watch `watch` waits, for `reason`.
        case pending(path: String, watch: String, reason: String)
        /// `path` no longer waits (handed over, ignored, or gone).
        case cleared(path: String)
        /// `path` was pending (seen, not ready) and is gone: it gets a `vanished` outcome.
        case vanished(path: String, watch: String, signature: String, reason: String)
    }

    private enum State: Equatable {
        /// Not ready yet; `recheck` is when to look again (nil: when its files change).
        case waiting(recheck: Date?)
        /// Handed to the queue (or found done in the history) with this snapshot.
        case handedOver
        /// A restored output: never a candidate.
        case ignored
    }

    private var tracked: [String: Tracked] = [:]
    /// Watch names by index, for what is reported about forgotten directories.
    private var watchNames: [Int: String] = [:]
    private let logger: Logger
    private let report: (PendingUpdate) -> Void

    /// A reason whose kind did not change is written again at most this often (a file
    /// being written changes its byte count at every event).
    static let reportInterval: TimeInterval = 1

    init(logger: Logger, report: @escaping (PendingUpdate) -> Void = { _ in }) {
        self.logger = logger
        self.report = report
    }

    /// What the history says of a ready directory's files.
    enum Recorded: Equatable {
        /// No outcome: offer it.
        case none
        /// An outcome that stands.
        case done
        /// An outcome to be tried again at this time.
        case retry(at: Date)
    }

    /// Looks at every directory again at the next evaluation, also those handed over
    /// (`retaind retry` asked for one to be redone).
    mutating func reconsiderAll() {
        for path in tracked.keys where tracked[path]?.state == .handedOver {
            tracked[path]!.state = .waiting(recheck: Date.distantPast)
        }
    }

    /// Looks at `path` again at `time`, even if handed over (its outcome is retried then).
    mutating func recheck(_ path: String, at time: Date) {
        tracked[path]?.state = .waiting(recheck: time)
    }

    /// How many directories wait to be ready.
    var pendingCount: Int { tracked.values.count { $0.reported != nil } }

    /// Keeps what is known of checkpoints of watches that stay across a reload (so they
    /// are not offered again), re-indexed to the new list.
    mutating func remap(from old: [Configuration.Watch], to new: [Configuration.Watch]) {
        watchNames = Dictionary(uniqueKeysWithValues: new.enumerated().map { ($0.offset, $0.element.name) })
        var remapped: [String: Tracked] = [:]
        for (path, var entry) in tracked {
            guard let index = new.firstIndex(where: { $0.name == old[entry.location.watch].name }) else { continue }
            entry.location = Location(watch: index, root: entry.location.root)
            remapped[path] = entry
        }
        tracked = remapped
    }

    /// A checkpoint directory that appeared and was gone before it could be looked at:
    /// reported `vanished` unless it is tracked (then its own state decides).
    func appearedAndGone(_ path: String, at location: Location, watches: [Configuration.Watch]) {
        guard tracked[path] == nil else { return }
        report(.vanished(path: path, watch: watches[location.watch].name, signature: "",
                         reason: "it appeared and was deleted before it could be read"))
    }

    /// Forgets every directory not in `present` (a full scan did not find it).
    mutating func keepOnly(_ present: Set<String>) {
        for path in tracked.keys where !present.contains(path) { forget(path) }
    }

    /// Forgets `prefix` and every directory under it. A queued one stays queued: the
    /// processor records it `vanished`.
    mutating func forgetSubtree(_ prefix: String) {
        for path in tracked.keys where path == prefix || path.hasPrefix(prefix + "/") { forget(path) }
    }

    private mutating func forget(_ path: String) {
        guard let entry = tracked.removeValue(forKey: path) else { return }
        // Only what is really gone vanished: a directory a scan could not list (NFS
        // hiccup, EMFILE) is looked at again at the next one.
        var info = stat()
        guard lstat(path, &info) != 0, errno == ENOENT else { return }
        let why: String
        if let pending = entry.reported {
            why = "it was pending: \(pending.reason.text)"
        } else if entry.appeared, case .waiting = entry.state {
            why = "it appeared and was deleted before it was complete"
        } else {
            return
        }
        report(.vanished(path: path, watch: watchNames[entry.location.watch] ?? "", signature: entry.snapshot.signature, reason: why))
    }

    /// Directories whose recheck time has come, with where they belong.
    func due(_ now: Date) -> [(String, Location)] {
        tracked.compactMap { path, entry in
            if case .waiting(let recheck?) = entry.state, recheck <= now { return (path, entry.location) }
            return nil
        }
    }

    /// The earliest recheck time (distant future when none).
    var nextRecheck: Date {
        tracked.values.reduce(Date.distantFuture) { next, entry in
            if case .waiting(let recheck?) = entry.state { return min(next, recheck) }
            return next
        }
    }

    /// Looks at one checkpoint directory and offers it when it is ready.
    ///
    /// - Parameters:
    ///   - offer: hands a candidate to the queue; false when the queue is full (the
    ///     directory is looked at again a second later).
    ///   - appeared: an event said it was just created or moved in.
    ///   - recorded: what the history has for these exact files.
    mutating func evaluate(_ path: String, at location: Location, watches: [Configuration.Watch], patterns: [CheckpointPattern],
                           appeared: Bool = false, now: Date = Date(), offer: (Candidate) -> Bool,
                           recorded: (String, String) -> Recorded) {
        guard let snapshot = DirectorySnapshot(directory: path) else {
            // Just created and gone already: rotated away before it could be read.
            if appeared, tracked[path] == nil { appearedAndGone(path, at: location, watches: watches) }
            forget(path)
            return
        }
        watchNames[location.watch] = watches[location.watch].name
        var entry: Tracked
        if var known = tracked[path] {
            if known.state == .handedOver, snapshot.isStrictSubset(of: known.snapshot) {
                // Files only go away: the directory is being deleted (rotation) after its
                // outcome. Never offer what is left of it again.
                known.snapshot = snapshot
                tracked[path] = known
                return
            }
            if known.snapshot != snapshot {
                // A queued older version stays queued: the processor skips it when its
                // files differ, or records it vanished when they are gone.
                known.snapshot = snapshot
                known.quietSince = now
                known.state = .waiting(recheck: nil)
            }
            entry = known
        } else {
            // Files older than now have been quiet since they were written, so a
            // checkpoint that arrived while the daemon was down needs no extra wait.
            entry = Tracked(location: location, snapshot: snapshot, quietSince: min(now, snapshot.newestChange), state: .waiting(recheck: nil),
                            appeared: appeared)
        }
        defer { tracked[path] = entry }
        guard case .waiting = entry.state else { return }
        let watch = watches[entry.location.watch]
        var decision = CheckpointReadiness.decide(path: path, snapshot: snapshot, quietSince: entry.quietSince, now: now, watch: watch,
                                                  pattern: patterns[entry.location.watch])
        switch decision {
        case .waiting(let recheck, let reason):
            if let last = entry.reported, last.reason.kind == reason.kind, now.timeIntervalSince(last.at) < Self.reportInterval {
                // Changed too recently to write again: look again when it may be, so the
                // history ends with the latest reason.
                if last.reason != reason {
                    let due = last.at.addingTimeInterval(Self.reportInterval)
                    decision = .waiting(recheck: min(recheck ?? due, due), reason: reason)
                }
            } else if entry.reported?.reason != reason {
                entry.reported = (reason, now)
                report(.pending(path: path, watch: watch.name, reason: reason.text))
            }
        case .ignored, .noWeights:
            if entry.reported != nil {
                entry.reported = nil
                report(.cleared(path: path))
            }
        case .ready:
            break  // a queued checkpoint stays pending in the history until its outcome
        }
        switch decision {
        case .ignored:
            entry.state = .ignored
        case .noWeights:
            entry.state = .waiting(recheck: nil)
        case .waiting(let recheck, _):
            entry.state = .waiting(recheck: recheck)
        case .ready(let rejection):
            let signature = snapshot.signature
            switch recorded(path, signature) {
            case .none:
                break
            case .done:
                entry.state = .handedOver
                if entry.reported != nil { report(.cleared(path: path)) }
                entry.reported = nil
                return
            case .retry(let time) where time > now:
                entry.state = .waiting(recheck: time)
                return
            case .retry:
                break  // due: offer it
            }
            let candidate = Candidate(path: path, watch: watch.name, root: entry.location.root, signature: signature, detectedAt: now,
                                      rejection: rejection)
            if offer(candidate) {
                entry.state = .handedOver
                entry.reported = nil
                logger.debug("checkpoint complete", metadata: ["retaind.checkpoint": "\(path)", "retaind.watch": "\(watch.name)"])
            } else {
                entry.state = .waiting(recheck: now.addingTimeInterval(1))
            }
        }
    }
}
