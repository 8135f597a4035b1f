import Daemon
import Foundation
import History

/// One run directory's checkpoints in step order, each with its latest outcome: what a
/// run's charts and table are drawn from.
public struct RunHistory: Sendable {
    public var watch: String
    /// The run directory (the parent of its checkpoints).
    public var run: String
    /// The latest outcome of each checkpoint, by step (then detection time).
    public var checkpoints: [CheckpointRecord]

    /// The step a checkpoint's name ends with (`checkpoint-1200` → 1200).
    public static func step(of record: CheckpointRecord) -> Int? {
        WatchCoverage.step(of: (record.path as NSString).lastPathComponent)
    }

    /// Whether `run` names this run: its full path or its directory name.
    public func isNamed(_ name: String) -> Bool {
        run == name || (run as NSString).lastPathComponent == name || run == (name as NSString).standardizingPath
    }

    /// The runs of `records` (newest outcome per path; `processing` rows left out), by watch then run.
    public static func runs(_ records: [CheckpointRecord]) -> [RunHistory] {
        var latest: [String: CheckpointRecord] = [:]
        for record in records where record.status != .processing {
            if let known = latest[record.path], (known.detectedAt, known.id ?? 0) > (record.detectedAt, record.id ?? 0) { continue }
            latest[record.path] = record
        }
        struct Key: Hashable { let watch: String, run: String }
        let grouped = Dictionary(grouping: latest.values) { Key(watch: $0.watch, run: ($0.path as NSString).deletingLastPathComponent) }
        return grouped.map { key, records in
            RunHistory(watch: key.watch, run: key.run, checkpoints: records.sorted {
                (step(of: $0) ?? -1, $0.detectedAt, $0.path) < (step(of: $1) ?? -1, $1.detectedAt, $1.path)
            })
        }.sorted { ($0.watch, $0.run) < ($1.watch, $1.run) }
    }
}
