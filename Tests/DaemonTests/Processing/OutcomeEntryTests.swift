import Foundation
import History
import Testing
@testable import Daemon

/// What a tuned restore's journal entry tells the operator: which data chose and which
/// verified, and when the restore enlarged the update.
struct OutcomeEntryTests {
    static func restored(tuneData: String?, updateKept: Double = 1.2) -> CheckpointRecord {
        var record = CheckpointRecord(path: "/runs/r/checkpoint-20", watch: "w", signature: "s", detectedAt: Date())
        record.status = .restored
        record.drift = 0.003
        record.threshold = 0.001
        record.driftAfter = 0.0004
        record.updateKept = updateKept
        record.alpha = 17.2
        record.gamma = 10
        record.restoredPath = "/out/checkpoint-20"
        record.tuneData = tuneData
        record.tuneEvaluations = tuneData == nil ? nil : 15
        record.verifyData = "retain /h/retain.jsonl (4000 tokens); forget /h/forget.jsonl (4000 tokens)"
        return record
    }

    @Test func tunedOnProxies_saysSo_andCarriesBothDataFields() {
        let entry = OutcomeEntry(record: Self.restored(tuneData: "retain /p/retain.jsonl (4096 tokens); forget /p/forget.jsonl (4096 tokens)"))
        #expect(entry.message.contains("α 17.2, γ 10 chosen of 15 settings on the tuning data, verified on held-out data"), "\(entry.message)")
        #expect(entry.metadata["retaind.tune_data"] == "retain /p/retain.jsonl (4096 tokens); forget /p/forget.jsonl (4096 tokens)")
        #expect(entry.metadata["retaind.verify_data"] == "retain /h/retain.jsonl (4000 tokens); forget /h/forget.jsonl (4000 tokens)")
        #expect(entry.metadata["retaind.tune_evaluations"] == "15")
        #expect(!entry.message.contains("update_kept"))
    }

    @Test func tunedOnTheVerifyData_saysItWasNotCheckedElsewhere() {
        let entry = OutcomeEntry(record: Self.restored(tuneData: TuningData.verifyDataPrefix + "retain /h/retain.jsonl (4000 tokens); forget …"))
        #expect(entry.message.contains("on the verify data itself (not checked on other data)"), "\(entry.message)")
    }

    @Test func updateKeptAboveTheGain_isCalledOut() {
        let entry = OutcomeEntry(record: Self.restored(tuneData: nil, updateKept: 5.3))
        #expect(entry.message.contains("update_kept 5.3 above 4"), "\(entry.message)")
        #expect(entry.metadata["retaind.tune_data"] == nil && entry.metadata["retaind.tune_evaluations"] == nil)
    }
}
