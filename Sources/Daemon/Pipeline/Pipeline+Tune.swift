import Foundation
import History
import Retention
import SafeTensors

extension Pipeline {
    /// One restored setting of the tuning grid and how it behaved.
    struct Trial {
        let report: RestoreReport
        let retainPPL: Double
        let forgetPPL: Double
    }

    /// `restore.tune`: restores every `(α, γ)` of the grid into a scratch directory beside
    /// the output (same filesystem), evaluates each on the verify data, and moves the
    /// chosen one to `destination` with a rename; the others are deleted.
    ///
    /// - Returns: the chosen restore, its trial, and every trial in grid order.
    func tunedRestore(_ checkpoint: Checkpoint, context: BaseContext, settings: Configuration.Watch, tune: Configuration.Tune,
                      verification: Verification, measured: Drift.Measurement, destination: String,
                      outputRoot: String) throws -> (chosen: Trial, trials: [Trial]) {
        guard let retain = verification.retain, let forget = verification.forget, let base = verification.baseRetainPPL else {
            throw DaemonError.watchDisabled(watch: settings.name, reason: "restore.tune needs verify.retain_eval and verify.forget_eval")
        }
        let scratch = outputRoot + "/" + Self.tunePrefix + "\(getpid())-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var trials: [Trial] = []
        for alpha in tune.alphas {
            for gamma in tune.gammas {
                var options = settings.restore.options
                options.alpha = alpha
                options.gamma = gamma
                options.targetDrift = nil
                refreshDeadline()
                let report = try Restore.run(candidate: checkpoint, base: context.base, retain: context.retain, forget: context.forget,
                                             options: options, destination: scratch + "/\(trials.count)", measured: measured,
                                             version: RetaindVersion.current)
                refreshDeadline()
                let retainPPL = try verification.perplexity(of: report.path, on: retain)
                refreshDeadline()
                let forgetPPL = try verification.perplexity(of: report.path, on: forget)
                trials.append(Trial(report: report, retainPPL: retainPPL, forgetPPL: forgetPPL))
            }
        }
        let chosen = Self.choose(trials, baseRetainPPL: base, tolerance: tune.retainPPLTolerance)
        try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard rename(chosen.report.path, destination) == 0 else {
            throw DaemonError.system(operation: "rename", path: destination, errno: errno)
        }
        return (chosen, trials)
    }

    /// The trial with the highest forget perplexity among those whose retain perplexity
    /// is within `tolerance` × the base's; the lowest retain perplexity when none is.
    static func choose(_ trials: [Trial], baseRetainPPL: Double, tolerance: Double) -> Trial {
        let acceptable = trials.filter { $0.retainPPL <= tolerance * baseRetainPPL }
        if let best = acceptable.max(by: { $0.forgetPPL < $1.forgetPPL }) { return best }
        return trials.min { $0.retainPPL < $1.retainPPL }!
    }

    /// Scratch directories of tuning runs start with this (hidden, so no watcher takes them).
    static let tunePrefix = ".retaind-tune-"

    /// Removes tuning scratch directories left in `outputRoot` by processes that died.
    static func removeStaleTuning(in outputRoot: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: outputRoot) else { return }
        for name in names where name.hasPrefix(tunePrefix) {
            let pid = pid_t(name.dropFirst(tunePrefix.count).prefix { $0 != "-" }) ?? 0
            if pid == getpid() || (pid > 0 && kill(pid, 0) == 0) { continue }
            try? FileManager.default.removeItem(atPath: outputRoot + "/" + name)
        }
    }
}
