import Foundation
import History
import RetaindMetrics

extension DaemonFigures {
    /// The figures the history holds now: each run's newest measured checkpoint (by step,
    /// as `retaind runs` orders them), each configured watch's threshold, pending count
    /// and newest outcome time.
    static func current(records: [CheckpointRecord], pending: [PendingRecord], watches: [Configuration.Watch],
                        queueLength: Int) -> DaemonFigures {
        let runs = RunOutcomes.group(records).compactMap { run -> Run? in
            guard let record = run.checkpoints.last(where: { $0.drift != nil }) else { return nil }
            return Run(watch: run.watch, run: run.run, drift: record.drift!, driftMax: record.driftMax ?? record.drift!,
                       driftAfter: record.status == .restored ? record.driftAfter : nil,
                       retainPerplexityRatio: record.retainPerplexityRatio)
        }

        let pendingByWatch = Dictionary(grouping: pending, by: \.watch).mapValues(\.count)
        let lastByWatch = Dictionary(grouping: records.filter { $0.status != .processing }, by: \.watch)
            .mapValues { $0.compactMap(\.finishedAt).max() }
        let watchFigures = watches.map {
            Watch(name: $0.name, threshold: $0.gate.threshold, pending: pendingByWatch[$0.name] ?? 0,
                  lastOutcome: lastByWatch[$0.name] ?? nil)
        }
        return DaemonFigures(runs: runs, watches: watchFigures, queueLength: queueLength)
    }
}

extension CheckpointRecord {
    /// Retain perplexity of the checkpoint to use (the restored output when restored)
    /// over the base's, when both were measured.
    var retainPerplexityRatio: Double? {
        guard let base = retainPPLBase, base > 0 else { return nil }
        let used = status == .restored ? retainPPLAfter : retainPPLBefore
        return used.map { $0 / base }
    }
}
