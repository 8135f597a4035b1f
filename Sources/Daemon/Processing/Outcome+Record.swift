import Foundation
import History

extension Outcome {
    /// The history row of this outcome, completing the `processing` row `claim`.
    func record(claim: CheckpointRecord) -> CheckpointRecord {
        var record = claim
        record.status = status
        record.threshold = threshold
        record.startedAt = startedAt
        record.finishedAt = finishedAt
        record.driftSeconds = driftSeconds
        record.restoreSeconds = restoreSeconds
        record.error = error
        record.attempts = attempts
        record.retryAt = retryAt
        if let drift {
            record.fingerprint = drift.fingerprint
            record.baseFingerprint = drift.baseFingerprint
            record.drift = drift.drift
            record.driftMax = drift.driftMax
            record.driftMaxModule = drift.driftMaxModule
        }
        if let restore {
            record.restoredPath = withheld ? nil : restore.path
            record.driftAfter = restore.report.driftAfter
            record.forgetKept = restore.report.forgetKept
            record.updateKept = restore.report.updateKept
            record.alpha = restore.report.alpha
            record.gamma = restore.report.gamma
            record.outputDType = restore.report.outputDType
        }
        record.retainPPLBase = perplexities.retainBase
        record.retainPPLBefore = perplexities.retainBefore
        record.retainPPLAfter = perplexities.retainAfter
        record.forgetPPLBefore = perplexities.forgetBefore
        record.forgetPPLAfter = perplexities.forgetAfter
        record.verifyError = perplexities.verifyError
        record.tuneData = tuneData
        record.verifyData = verifyData
        record.tuneEvaluations = trials.isEmpty ? nil : trials.count
        record.forgetPPLBase = perplexities.forgetBase
        record.forgetEffectKept = forgetEffectKept
        return record
    }

    /// One row per profiled module: its drift, and its figures after restoring.
    func moduleRecords(checkpointID: Int64) -> [ModuleRecord] {
        guard let drift else { return [] }
        let after = Dictionary(uniqueKeysWithValues: (restore?.report.modules ?? []).map { ($0.name, $0) })
        return drift.modules.map {
            var module = ModuleRecord(checkpointID: checkpointID, name: $0.name, site: $0.site, rho: $0.rho, beta: $0.beta,
                                      energy: $0.energy, referenceEnergy: $0.referenceEnergy, energyUpper: $0.energyUpper)
            if let restored = after[$0.name] {
                module.rhoAfter = restored.rhoAfter
                module.updateKept = restored.updateKept
                module.forgetKept = restored.forgetKept
            }
            return module
        }
    }

    /// One row per setting a tuned restore tried, in the order tried.
    func trialRecords(checkpointID: Int64) -> [TuneTrialRecord] {
        trials.map {
            TuneTrialRecord(checkpointID: checkpointID, alpha: $0.search.alpha, gamma: $0.search.gamma, driftAfter: $0.figures.driftAfter,
                            forgetKept: $0.figures.forgetKept, retainPPL: $0.search.retainPPL, forgetPPL: $0.search.forgetPPL,
                            chosen: $0.chosen, updateKept: $0.figures.updateKept, stage: $0.search.stage.rawValue)
        }
    }
}
