import Foundation
import Retention
import SafeTensors
import SystemCalls

extension Processor {
    /// `restore.tune`: restores every `(α, γ)` of the grid into a scratch directory beside
    /// the output (same filesystem), evaluates each on the verify data, and moves the
    /// chosen one to `destination` with a rename; the others are deleted.
    ///
    /// - Returns: every trial in grid order, the chosen one marked.
    func tunedRestore(_ checkpoint: Checkpoint, watch: ActiveWatch, tune: Configuration.Tune, verification: Verification,
                      measured: Drift.Measurement, destination: String, outputRoot: String) throws -> [Outcome.TuneTrial] {
        // The configuration requires both data sets with `tune`, and loading measured the base.
        let retain = verification.retain!, forget = verification.forget!, base = verification.baseRetainPPL!
        let context = watch.context
        let scratch = outputRoot + "/" + Self.tunePrefix + "\(getpid())-\(UUID().uuidString.prefix(8))"
        defer { FileSystem.removeRecursively(scratch) }
        var trials: [Outcome.TuneTrial] = []
        for alpha in tune.alphas {
            for gamma in tune.gammas {
                var options = watch.settings.restore.options
                options.alpha = alpha
                options.gamma = gamma
                options.targetDrift = nil
                deadline.refresh()
                let report = try Restore.run(candidate: checkpoint, base: context.base, retain: context.retain, forget: context.forget,
                                             options: options, destination: scratch + "/\(trials.count)", measured: measured,
                                             version: RetaindVersion.current)
                deadline.refresh()
                let retainPPL = try verification.perplexity(of: report.path, on: retain)
                deadline.refresh()
                let forgetPPL = try verification.perplexity(of: report.path, on: forget)
                trials.append(.init(report: report, retainPPL: retainPPL, forgetPPL: forgetPPL))
            }
        }
        let chosen = Self.choose(trials, baseRetainPPL: base, tolerance: tune.retainPPLTolerance)
        trials[chosen].chosen = true
        do {
            try FileSystem.makeDirectories((destination as NSString).deletingLastPathComponent)
            try Syscall.retrying("rename", path: destination) { rename(trials[chosen].report.path, destination) }
        } catch {
            throw DaemonError.system(error)
        }
        return trials
    }

    /// The index of the trial with the highest forget perplexity among those whose retain
    /// perplexity is within `tolerance` × the base's; of the lowest retain perplexity
    /// when none is.
    static func choose(_ trials: [Outcome.TuneTrial], baseRetainPPL: Double, tolerance: Double) -> Int {
        let acceptable = trials.indices.filter { trials[$0].retainPPL <= tolerance * baseRetainPPL }
        if let best = acceptable.max(by: { trials[$0].forgetPPL < trials[$1].forgetPPL }) { return best }
        return trials.indices.min { trials[$0].retainPPL < trials[$1].retainPPL }!
    }

    /// Scratch directories of tuning runs start with this (hidden, so no watcher takes them).
    static let tunePrefix = ".retaind-tune-"

    /// Removes tuning scratch directories left in `outputRoot` by processes that died.
    static func removeStaleTuning(in outputRoot: String) {
        FileSystem.removeStaleTemporaries(in: outputRoot, prefix: tunePrefix)
    }
}
