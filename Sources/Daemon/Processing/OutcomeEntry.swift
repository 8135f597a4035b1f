import Foundation
import History
import Journal
import Logging
import Retention

/// The journal entry of one checkpoint outcome: a sentence for humans, and fields
/// (docs/spec.md §7 names under `RETAIND_`) with a fixed `MESSAGE_ID` and priority for alerts.
struct OutcomeEntry {
    let record: CheckpointRecord

    /// `update_kept` above this is called out in the message (docs/spec.md §4.7).
    static let maxUpdateGain = RestoreOptions().maxUpdateGain

    var messageID: MessageID {
        switch record.status {
        case .passed: .passed
        case .unchanged: .unchanged
        case .restored: .restored
        case .flagged: .flagged
        case .rejected: .rejected
        case .vanished: .vanished
        case .error, .processing: .daemonError
        }
    }

    /// passed 6 (info), restored and flagged 4 (warning), rejected 3 (error), vanished 5
    /// (notice), daemon errors 3.
    /// A restore that did not bring retain perplexity down.
    var restoreDidNotHelp: Bool {
        guard record.status == .restored, let before = record.retainPPLBefore, let after = record.retainPPLAfter else { return false }
        return after >= before
    }

    var level: Logger.Level {
        if restoreDidNotHelp { return .error }
        switch record.status {
        case .passed: return .info
        case .restored, .flagged, .unchanged: return .warning
        case .vanished: return .notice
        case .rejected, .error, .processing: return .error
        }
    }

    var message: String {
        let name = record.path
        func f(_ x: Double?) -> String { x.map { String(format: "%.4g", $0) } ?? "?" }
        switch record.status {
        case .passed:
            return "\(name) passed: drift \(f(record.drift)) ≤ threshold \(f(record.threshold))"
        case .restored:
            var text = "\(name) restored: drift \(f(record.drift)) > threshold \(f(record.threshold)), \(f(record.driftAfter)) after restoring"
            if let kept = record.forgetKept { text += ", forget_kept \(f(kept))" }
            if let before = record.retainPPLBefore, let after = record.retainPPLAfter {
                text += "; retain perplexity \(f(before)) → \(f(after))"
                if restoreDidNotHelp { text += " (NOT improved)" }
            }
            if let before = record.forgetPPLBefore, let after = record.forgetPPLAfter { text += ", forget perplexity \(f(before)) → \(f(after))" }
            if let kept = record.forgetEffectKept {
                text += String(format: "; forget effect kept %.3g", kept)
            } else if record.forgetPPLBefore == nil {
                text += "; forgetting not checked (no [watch.verify] forget_eval)"
            }
            if let kept = record.updateKept, kept > Self.maxUpdateGain {
                text += String(format: "; update_kept %.3g above %.3g: where retain and forget directions overlap, the restore enlarged the update", kept, Self.maxUpdateGain)
            }
            if let evaluations = record.tuneEvaluations {
                text += "; α \(f(record.alpha)), γ \(f(record.gamma)) chosen of \(evaluations) settings"
                text += record.tuneData?.hasPrefix(TuningData.verifyDataPrefix) == true
                    ? " on the verify data itself (not checked on other data)" : " on the tuning data, verified on held-out data"
            }
            return text + "; written to \(record.restoredPath ?? "?")"
        case .unchanged:
            return "\(name) unchanged: the run changed no profiled weight; check the optimizer, the adapter, gradient checkpointing"
        case .flagged where record.error != nil:
            return "\(name) flagged: \(record.error!)"
        case .flagged:
            return "\(name) over threshold: drift \(f(record.drift)) > \(f(record.threshold)) (restore disabled for this watch)"
        case .rejected:
            return "\(name) rejected: \(record.error ?? "unknown reason")"
        case .vanished:
            return "\(name) vanished before it was processed"
        case .error, .processing:
            let retry = record.retryAt.map { " — attempt \(record.attempts); retrying after \(ISO8601DateFormatter().string(from: $0))" }
                ?? (record.attempts > 1 ? " — gave up after \(record.attempts) attempts; `retaind retry` to try again" : "")
            return "\(name) not processed: \(record.error ?? "unknown error")\(retry)"
        }
    }

    var metadata: Logger.Metadata {
        var fields: Logger.Metadata = [
            "message_id": "\(messageID.rawValue)",
            "retaind.checkpoint": "\(record.path)",
            "retaind.watch": "\(record.watch)",
            "retaind.status": "\(record.status.rawValue)",
        ]
        func put(_ key: String, _ value: Double?) { if let value { fields["retaind.\(key)"] = "\(value)" } }
        func put(_ key: String, _ value: String?) { if let value { fields["retaind.\(key)"] = "\(value)" } }
        put("fingerprint", record.fingerprint)
        put("base_fingerprint", record.baseFingerprint)
        put("drift", record.drift)
        put("drift_max", record.driftMax)
        put("drift_max_module", record.driftMaxModule)
        put("threshold", record.threshold)
        put("restored_path", record.restoredPath)
        put("drift_after", record.driftAfter)
        put("forget_kept", record.forgetKept)
        put("update_kept", record.updateKept)
        put("alpha", record.alpha)
        put("gamma", record.gamma)
        put("error", record.error)
        put("retain_ppl_base", record.retainPPLBase)
        put("retain_ppl_before", record.retainPPLBefore)
        put("retain_ppl_after", record.retainPPLAfter)
        put("forget_ppl_before", record.forgetPPLBefore)
        put("forget_ppl_after", record.forgetPPLAfter)
        put("forget_ppl_base", record.forgetPPLBase)
        put("forget_effect_kept", record.forgetEffectKept)
        put("verify_error", record.verifyError)
        put("tune_data", record.tuneData)
        put("verify_data", record.verifyData)
        put("tune_evaluations", record.tuneEvaluations.map { "\($0)" })
        if record.attempts > 1 || record.retryAt != nil { fields["retaind.attempts"] = "\(record.attempts)" }
        put("retry_at", record.retryAt.map { ISO8601DateFormatter().string(from: $0) })
        if let started = record.startedAt, let finished = record.finishedAt {
            put("seconds", finished.timeIntervalSince(started))
        }
        return fields
    }

    func log(to logger: Logger) {
        logger.log(level: level, "\(message)", metadata: metadata)
    }
}
