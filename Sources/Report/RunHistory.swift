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
    public static func step(of record: CheckpointRecord) -> Int? { record.step }

    /// Whether `run` names this run: its full path or its directory name.
    public func isNamed(_ name: String) -> Bool {
        run == name || (run as NSString).lastPathComponent == name || run == (name as NSString).standardizingPath
    }

    /// The runs of `records` (newest outcome per path; `processing` rows left out), by watch then run.
    public static func runs(_ records: [CheckpointRecord]) -> [RunHistory] {
        RunOutcomes.group(records).map { RunHistory(watch: $0.watch, run: $0.run, checkpoints: $0.checkpoints) }
    }
}
