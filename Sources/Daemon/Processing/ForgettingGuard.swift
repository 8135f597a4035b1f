import Foundation
import SystemCalls

/// `restore.min_forget_kept`: a restore must not quietly undo the forgetting the run was
/// for. Measured on `[watch.verify] forget_eval`, the share of the candidate's forget
/// effect the restored checkpoint kept is
/// `(log ppl_restored − log ppl_base) / (log ppl_candidate − log ppl_base)`; under the
/// minimum, the restored checkpoint is withheld (moved to a hidden sibling, never at the
/// path a pipeline uses) and the outcome is `flagged`.
enum ForgettingGuard {
    /// The smallest forget effect the guard judges: a log-perplexity gain of 1e-4 (0.01%
    /// perplexity), above the noise of an F32 evaluation.
    static let smallestEffect = 1e-4

    /// The share of the forget effect kept; nil when it cannot be measured: a perplexity
    /// is missing, or the candidate forgot nothing measurable (its forget perplexity is
    /// not above the base's by ``smallestEffect``), so there is nothing to keep.
    static func effectKept(base: Double?, before: Double?, after: Double?) -> Double? {
        guard let base, let before, let after, log(before) - log(base) > smallestEffect else { return nil }
        return (log(after) - log(base)) / (log(before) - log(base))
    }

    /// Where a withheld restore goes: a hidden sibling of `destination`, which no watcher
    /// or glob such as `checkpoint-*` picks up.
    static func withheldPath(for destination: String) -> String {
        let url = URL(fileURLWithPath: destination)
        return url.deletingLastPathComponent().appendingPathComponent(".withheld-" + url.lastPathComponent).path
    }

    /// Applies the guard to a restored outcome written at `destination`: records the share
    /// kept, and withholds the output when it is under `minimum`.
    static func apply(_ outcome: inout Outcome, minimum: Double, destination: String) {
        guard outcome.status == .restored else { return }
        let p = outcome.perplexities
        outcome.forgetEffectKept = effectKept(base: p.forgetBase, before: p.forgetBefore, after: p.forgetAfter)
        guard let kept = outcome.forgetEffectKept, kept < minimum else { return }
        let withheld = withheldPath(for: destination)
        FileSystem.removeRecursively(withheld)
        let moved = rename(destination, withheld) == 0
        outcome.status = .flagged
        outcome.withheld = true
        outcome.error = String(format: "restoring kept %.3g of the forgetting (log perplexity gain on forget_eval over the base: candidate %.4g, restored %.4g, base %.4g), under min_forget_kept %.3g; ",
                               kept, p.forgetBefore!, p.forgetAfter!, p.forgetBase!, minimum)
            + (moved ? "the restored checkpoint is withheld at \(withheld)" : "the restored checkpoint at \(destination) could not be withheld (\(String(cString: strerror(errno)))): do not use it")
            + "; capture a forget profile or raise gamma"
    }
}
