import Foundation
import GRDB
@testable import History
import Testing

/// Upgrading a history written by an older retaind keeps every row.
struct HistoryMigrationTests {
    let directory = NSTemporaryDirectory() + "retaind-migration-" + UUID().uuidString
    var path: String { directory + "/history.sqlite" }

    @Test func aVersion3History_upgradesToUnchangedAndPending_keepingItsRows() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The schema as retaind wrote it before v4, with an outcome, its modules and a trial.
        let old = try DatabaseQueue(path: path)
        try HistoryMigrations.migrator.migrate(old, upTo: "v3: tuning trials")
        try old.write { db in
            try db.execute(sql: """
                INSERT INTO checkpoint (path, watch, signature, status, fingerprint, drift, detected_at, retain_ppl_base)
                VALUES ('/runs/checkpoint-1', 'w', 'sig', 'restored', 'f1', 0.002, '2026-11-01 10:00:00.000', 39.7);
                INSERT INTO module (checkpoint_id, name, site, rho, beta, energy, reference_energy, energy_upper)
                VALUES (1, 'model.layers.0.mlp.up_proj.weight', 's', 0.1, 0.2, 1, 10, 2);
                INSERT INTO tune_trial (checkpoint_id, alpha, gamma, drift_after, retain_ppl, forget_ppl, chosen)
                VALUES (1, 10, 10, 0.0007, 40, 20, 1);
                """)
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "UPDATE checkpoint SET status = 'unchanged' WHERE id = 1")
            }
        }
        try old.close()

        let store = try HistoryStore(path: path)
        let (record, modules) = try #require(try store.outcome(matching: "/runs/checkpoint-1"))
        #expect(record.status == .restored && record.drift == 0.002 && record.retainPPLBase == 39.7)
        #expect(modules.map(\.name) == ["model.layers.0.mlp.up_proj.weight"])
        // v6 rebuilt tune_trial (forget_ppl optional): the trial survives, without the new figures.
        let trials = try store.trials(of: record.id!)
        #expect(trials.map(\.forgetPPL) == [20] && trials.map(\.chosen) == [true] && trials[0].stage == nil && trials[0].updateKept == nil)
        try store.finish(record, modules: modules, trials: [
            TuneTrialRecord(checkpointID: record.id!, alpha: 1, gamma: 1, driftAfter: 0.001, forgetKept: nil, retainPPL: 60, forgetPPL: nil,
                            chosen: false, updateKept: 0.5, stage: "grid"),
        ])
        #expect(try store.trials(of: record.id!).map(\.forgetPPL) == [nil])
        var unchanged = try store.begin(CheckpointRecord(path: "/runs/checkpoint-2", watch: "w", signature: "s2", detectedAt: Date()))
        unchanged.status = .unchanged
        unchanged.fingerprint = "f2"
        try store.finish(unchanged)
        #expect(try store.records(.init(status: .unchanged)).count == 1)
        try store.recordPending(PendingRecord(path: "/runs/checkpoint-3", watch: "w", reason: "waiting for model.safetensors",
                                              firstSeen: Date(), updatedAt: Date()))
        #expect(try store.pending().map(\.path) == ["/runs/checkpoint-3"])
    }
}
