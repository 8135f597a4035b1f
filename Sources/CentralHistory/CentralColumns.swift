import Foundation
import History
import PostgresNIO

/// The central tables' columns, and how local rows bind to them and read back: the one
/// place that maps `CheckpointRecord`, `ModuleRecord` and `TuneTrialRecord` to
/// PostgreSQL.
enum CentralColumns {
    static let checkpoint = [
        "host", "history_id", "local_id", "path", "watch", "signature", "status", "fingerprint", "base_fingerprint", "drift",
        "drift_max", "drift_max_module", "threshold", "restored_path", "drift_after", "forget_kept", "update_kept", "alpha",
        "gamma", "output_dtype", "detected_at", "started_at", "finished_at", "drift_seconds", "restore_seconds", "error",
        "retain_ppl_base", "retain_ppl_before", "retain_ppl_after", "forget_ppl_before", "forget_ppl_after", "verify_error",
        "attempts", "retry_at", "tune_data", "verify_data", "tune_evaluations", "forget_ppl_base", "forget_effect_kept",
    ]
    static let module = [
        "host", "history_id", "local_id", "name", "site", "rho", "beta", "energy", "reference_energy", "energy_upper",
        "rho_after", "update_kept", "forget_kept",
    ]
    static let trial = [
        "host", "history_id", "local_id", "alpha", "gamma", "drift_after", "forget_kept", "retain_ppl", "forget_ppl", "chosen", "update_kept", "stage",
    ]

    static func bind(_ r: CheckpointRecord, host: String, historyID: String, into binds: inout PostgresBindings) {
        binds.append(host)
        binds.append(historyID)
        binds.append(r.id ?? 0)
        binds.append(r.path)
        binds.append(r.watch)
        binds.append(r.signature)
        binds.append(r.status.rawValue)
        binds.append(r.fingerprint)
        binds.append(r.baseFingerprint)
        binds.append(r.drift)
        binds.append(r.driftMax)
        binds.append(r.driftMaxModule)
        binds.append(r.threshold)
        binds.append(r.restoredPath)
        binds.append(r.driftAfter)
        binds.append(r.forgetKept)
        binds.append(r.updateKept)
        binds.append(r.alpha)
        binds.append(r.gamma)
        binds.append(r.outputDType)
        binds.append(r.detectedAt)
        binds.append(r.startedAt)
        binds.append(r.finishedAt)
        binds.append(r.driftSeconds)
        binds.append(r.restoreSeconds)
        binds.append(r.error)
        binds.append(r.retainPPLBase)
        binds.append(r.retainPPLBefore)
        binds.append(r.retainPPLAfter)
        binds.append(r.forgetPPLBefore)
        binds.append(r.forgetPPLAfter)
        binds.append(r.verifyError)
        binds.append(r.attempts)
        binds.append(r.retryAt)
        binds.append(r.tuneData)
        binds.append(r.verifyData)
        binds.append(r.tuneEvaluations.map(Int32.init))
        binds.append(r.forgetPPLBase)
        binds.append(r.forgetEffectKept)
    }

    static func bind(_ m: ModuleRecord, host: String, historyID: String, into binds: inout PostgresBindings) {
        binds.append(host)
        binds.append(historyID)
        binds.append(m.checkpointID)
        binds.append(m.name)
        binds.append(m.site)
        binds.append(m.rho)
        binds.append(m.beta)
        binds.append(m.energy)
        binds.append(m.referenceEnergy)
        binds.append(m.energyUpper)
        binds.append(m.rhoAfter)
        binds.append(m.updateKept)
        binds.append(m.forgetKept)
    }

    static func bind(_ t: TuneTrialRecord, host: String, historyID: String, into binds: inout PostgresBindings) {
        binds.append(host)
        binds.append(historyID)
        binds.append(t.checkpointID)
        binds.append(t.alpha)
        binds.append(t.gamma)
        binds.append(t.driftAfter)
        binds.append(t.forgetKept)
        binds.append(t.retainPPL)
        binds.append(t.forgetPPL)
        binds.append(t.chosen)
        binds.append(t.updateKept)
        binds.append(t.stage)
    }

    /// A central checkpoint row as the local record it came from (its id the local id).
    static func record(_ row: PostgresRandomAccessRow) throws -> CheckpointRecord {
        func v<T: PostgresDecodable>(_ name: String, _ type: T.Type = T.self) throws -> T { try row[name].decode(T.self) }
        var r = CheckpointRecord(path: try v("path"), watch: try v("watch"), signature: try v("signature"), detectedAt: try v("detected_at"))
        r.id = try v("local_id", Int64.self)
        r.status = CheckpointStatus(rawValue: try v("status", String.self)) ?? .error
        r.fingerprint = try v("fingerprint")
        r.baseFingerprint = try v("base_fingerprint")
        r.drift = try v("drift")
        r.driftMax = try v("drift_max")
        r.driftMaxModule = try v("drift_max_module")
        r.threshold = try v("threshold")
        r.restoredPath = try v("restored_path")
        r.driftAfter = try v("drift_after")
        r.forgetKept = try v("forget_kept")
        r.updateKept = try v("update_kept")
        r.alpha = try v("alpha")
        r.gamma = try v("gamma")
        r.outputDType = try v("output_dtype")
        r.startedAt = try v("started_at")
        r.finishedAt = try v("finished_at")
        r.driftSeconds = try v("drift_seconds")
        r.restoreSeconds = try v("restore_seconds")
        r.error = try v("error")
        r.retainPPLBase = try v("retain_ppl_base")
        r.retainPPLBefore = try v("retain_ppl_before")
        r.retainPPLAfter = try v("retain_ppl_after")
        r.forgetPPLBefore = try v("forget_ppl_before")
        r.forgetPPLAfter = try v("forget_ppl_after")
        r.verifyError = try v("verify_error")
        r.attempts = Int(try v("attempts", Int32.self))
        r.retryAt = try v("retry_at")
        r.tuneData = try v("tune_data")
        r.verifyData = try v("verify_data")
        r.tuneEvaluations = try v("tune_evaluations", Int32?.self).map(Int.init)
        r.forgetPPLBase = try v("forget_ppl_base")
        r.forgetEffectKept = try v("forget_effect_kept")
        return r
    }

    static func module(_ row: PostgresRandomAccessRow, checkpointID: Int64) throws -> ModuleRecord {
        func v<T: PostgresDecodable>(_ name: String, _ type: T.Type = T.self) throws -> T { try row[name].decode(T.self) }
        return ModuleRecord(checkpointID: checkpointID, name: try v("name"), site: try v("site"), rho: try v("rho"), beta: try v("beta"),
                            energy: try v("energy"), referenceEnergy: try v("reference_energy"), energyUpper: try v("energy_upper"),
                            rhoAfter: try v("rho_after"), updateKept: try v("update_kept"), forgetKept: try v("forget_kept"))
    }
}
