import Foundation
import History
import RetaindMetrics

extension DaemonFigures {
    /// The figures the history holds now: each run's newest measured checkpoint (by step,
    /// as `retaind runs` orders them), each configured watch's threshold, pending count
    /// and newest outcome time.
    static func current(records: [CheckpointRecord], pending: [PendingRecord], watches: [Configuration.Watch],
                        queueLength: Int) -> DaemonFigures {
        // The latest outcome of each checkpoint (a retried one has several rows).
        var latest: [String: CheckpointRecord] = [:]
        for record in records where record.status != .processing {
            if let known = latest[record.path], (known.id ?? 0) > (record.id ?? 0) { continue }
            latest[record.path] = record
        }
        struct Key: Hashable { let watch: String, run: String }
        func step(_ path: String) -> Int { WatchCoverage.step(of: (path as NSString).lastPathComponent) ?? -1 }
        var newest: [Key: CheckpointRecord] = [:]
        for record in latest.values where record.drift != nil {
            let key = Key(watch: record.watch, run: (record.path as NSString).deletingLastPathComponent)
            if let known = newest[key], (step(known.path), known.detectedAt) > (step(record.path), record.detectedAt) { continue }
            newest[key] = record
        }
        let runs = newest.map { key, record in
            Run(watch: key.watch, run: key.run, drift: record.drift!, driftMax: record.driftMax ?? record.drift!,
                driftAfter: record.status == .restored ? record.driftAfter : nil,
                retainPerplexityRatio: record.retainPerplexityRatio)
        }.sorted { ($0.watch, $0.run) < ($1.watch, $1.run) }

        let pendingByWatch = Dictionary(grouping: pending, by: \.watch).mapValues(\.count)
        let lastByWatch = Dictionary(grouping: latest.values, by: \.watch).mapValues { $0.compactMap(\.finishedAt).max() }
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
