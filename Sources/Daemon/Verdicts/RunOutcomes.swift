import Foundation
import History

extension CheckpointRecord {
    /// The run directory a checkpoint belongs to: its parent.
    public var runDirectory: String { (path as NSString).deletingLastPathComponent }

    /// The step its name ends with (`checkpoint-1200` → 1200), if any.
    public var step: Int? { WatchCoverage.step(of: (path as NSString).lastPathComponent) }
}

/// One run directory's checkpoints, each with its latest outcome, in step order: the one
/// view of the history that `retaind runs`, the metrics' gauges and the report share.
public struct RunOutcomes: Sendable, Equatable {
    public var watch: String
    /// The run directory (the parent of its checkpoints).
    public var run: String
    /// Each checkpoint's latest outcome, by step (then detection time, then path).
    public var checkpoints: [CheckpointRecord]

    /// The runs of `records`, by watch then run. A checkpoint's latest outcome is its
    /// newest row (a retry's row has the higher id); `processing` rows are left out.
    public static func group(_ records: [CheckpointRecord]) -> [RunOutcomes] {
        var latest: [String: CheckpointRecord] = [:]
        for record in records where record.status != .processing {
            if let known = latest[record.path], (known.id ?? 0, known.detectedAt) > (record.id ?? 0, record.detectedAt) { continue }
            latest[record.path] = record
        }
        struct Key: Hashable { let watch: String, run: String }
        return Dictionary(grouping: latest.values) { Key(watch: $0.watch, run: $0.runDirectory) }.map { key, records in
            RunOutcomes(watch: key.watch, run: key.run, checkpoints: records.sorted {
                ($0.step ?? -1, $0.detectedAt, $0.path) < ($1.step ?? -1, $1.detectedAt, $1.path)
            })
        }.sorted { ($0.watch, $0.run) < ($1.watch, $1.run) }
    }
}
