import Foundation
import History

/// One run directory as `retaind runs` shows it: what was seen, what came of it, and the
/// checkpoint to use now.
public struct RunSummary: Sendable, Encodable, Equatable {
    public var watch: String
    /// The run directory (the parent of its checkpoints).
    public var run: String
    /// Checkpoints with an outcome or pending.
    public var checkpoints: Int
    /// The highest step number among them.
    public var newestStep: Int?
    /// Each checkpoint's latest outcome, counted by status.
    public var statuses: [String: Int]
    /// Drift of the first checkpoint (lowest step) and of the newest, where measured.
    public var driftFirst: Double?
    public var driftNewest: Double?
    /// What to use now: the newest passed checkpoint or the newest restored output,
    /// whichever has the higher step; nil when neither exists.
    public var use: String?
    /// Checkpoints waiting to be ready.
    public var pending: [String]

    enum CodingKeys: String, CodingKey {
        case watch, run, checkpoints, statuses, use, pending
        case newestStep = "newest_step"
        case driftFirst = "drift_first"
        case driftNewest = "drift_newest"
    }

    /// The runs of `records` and `pending`, sorted by watch then run.
    public static func runs(records: [CheckpointRecord], pending: [PendingRecord]) -> [RunSummary] {
        struct Key: Hashable { let watch: String, run: String }
        let outcomes = Dictionary(uniqueKeysWithValues: RunOutcomes.group(records).map { (Key(watch: $0.watch, run: $0.run), $0.checkpoints) })
        let done = Set(outcomes.values.joined().map(\.path))
        var waiting: [Key: [String]] = [:]
        for entry in pending where !done.contains(entry.path) {
            waiting[Key(watch: entry.watch, run: (entry.path as NSString).deletingLastPathComponent), default: []].append(entry.path)
        }
        func step(_ path: String) -> Int { WatchCoverage.step(of: (path as NSString).lastPathComponent) ?? -1 }
        return Set(outcomes.keys).union(waiting.keys).map { key in
            let done = outcomes[key] ?? []
            let pendingPaths = (waiting[key] ?? []).sorted()
            let usable = done.last { $0.status == .passed || $0.status == .restored }
            return RunSummary(
                watch: key.watch, run: key.run, checkpoints: done.count + pendingPaths.count,
                newestStep: (done.map(\.path) + pendingPaths).map(step).filter { $0 >= 0 }.max(),
                statuses: Dictionary(done.map { ($0.status.rawValue, 1) }, uniquingKeysWith: +),
                driftFirst: done.first?.drift, driftNewest: done.last?.drift,
                use: usable.map { $0.status == .restored ? ($0.restoredPath ?? $0.path) : $0.path },
                pending: pendingPaths)
        }.sorted { ($0.watch, $0.run) < ($1.watch, $1.run) }
    }
}
