@testable import Daemon
import Foundation
import History
import Testing

/// `retaind runs`: one summary per run directory, from the history's rows.
struct RunSummaryTests {
    func record(_ id: Int64, _ path: String, _ status: CheckpointStatus, drift: Double?, restored: String? = nil) -> CheckpointRecord {
        var record = CheckpointRecord(path: path, watch: "w", signature: "s", detectedAt: Date(timeIntervalSince1970: Double(id)))
        record.id = id
        record.status = status
        record.drift = drift
        record.restoredPath = restored
        return record
    }

    @Test func aRun_countsLatestOutcomes_andPointsAtTheCheckpointToUse() {
        let records = [
            record(5, "/r/a/checkpoint-30", .rejected, drift: nil),
            record(4, "/r/a/checkpoint-20", .restored, drift: 0.003, restored: "/out/a/checkpoint-20"),
            record(3, "/r/a/checkpoint-10", .passed, drift: 0.0005),
            record(2, "/r/a/checkpoint-10", .error, drift: 0.0005),  // an older outcome of the same path
            record(1, "/r/b/checkpoint-10", .passed, drift: 0.0002),
        ]
        let pending = [PendingRecord(path: "/r/b/checkpoint-20", watch: "w", reason: "waiting for model.safetensors",
                                     firstSeen: Date(), updatedAt: Date())]
        let runs = RunSummary.runs(records: records, pending: pending)
        #expect(runs.map(\.run) == ["/r/a", "/r/b"])
        let a = runs[0], b = runs[1]
        #expect(a.checkpoints == 3 && a.newestStep == 30)
        #expect(a.statuses == ["passed": 1, "restored": 1, "rejected": 1])
        #expect(a.driftFirst == 0.0005 && a.driftNewest == nil, "the newest was rejected before its drift")
        #expect(a.use == "/out/a/checkpoint-20", "newest usable: the restored output")
        #expect(b.checkpoints == 2 && b.newestStep == 20 && b.pending == ["/r/b/checkpoint-20"])
        #expect(b.use == "/r/b/checkpoint-10")
    }
}
