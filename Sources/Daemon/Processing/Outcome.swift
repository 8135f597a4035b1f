import Foundation
import History
import RetaindMetrics
import Retention

/// What processing one checkpoint came to: the verdict, the figures behind it, what was
/// written and how long each step took.
///
/// The processor builds it; ``Outcome/record(claim:)`` turns it into the history row and
/// ``OutcomeEntry`` into the journal entry, each in one place.
struct Outcome: Sendable {
    /// The verdict (never `processing`).
    var status: CheckpointStatus
    /// The watch's threshold when the checkpoint was gated.
    var threshold: Double
    /// The drift pass's report; nil when the checkpoint could not be measured.
    var drift: DriftReport?
    /// What was written when the checkpoint was restored.
    var restore: RestoredOutput?
    /// Perplexities measured by the watch's verification, when it has one.
    var perplexities = Perplexities()
    /// Every `(α, γ)` setting a tuned restore tried, in the order tried.
    var trials: [TuneTrial] = []
    /// With `restore.tune`: the data that chose (``TuningData/source``).
    var tuneData: String?
    /// The `[watch.verify]` data the perplexities were measured on.
    var verifyData: String?
    /// The share of the candidate's forget effect the restore kept (``ForgettingGuard``).
    var forgetEffectKept: Double?
    /// The restore was written but withheld by the forgetting guard (`restored_path` stays empty).
    var withheld = false
    /// Why the checkpoint was rejected, vanished or failed.
    var error: String?
    /// The attempt this is (1 the first time).
    var attempts = 1
    /// When to try again (an `error` with attempts left).
    var retryAt: Date?
    var startedAt: Date
    var finishedAt: Date?
    var driftSeconds: Double?
    var restoreSeconds: Double?
    /// Seconds spent measuring perplexity (for the gate and after restoring).
    var verifySeconds: Double?

    /// The seconds of each step that ran, for `retaind_processing_seconds`.
    var stepSeconds: [ProcessingStep: Double] {
        var steps: [ProcessingStep: Double] = [:]
        steps[.drift] = driftSeconds
        steps[.restore] = restoreSeconds
        steps[.verify] = verifySeconds
        return steps
    }

    /// A restored checkpoint: where it went and the restore's figures.
    struct RestoredOutput: Sendable {
        let path: String
        let report: RestoreReport
    }

    /// Retain and forget perplexity of the base, the candidate (before) and the restored
    /// checkpoint (after); `verifyError` says why some are missing.
    struct Perplexities: Sendable, Equatable {
        var retainBase: Double?
        var retainBefore: Double?
        var retainAfter: Double?
        var forgetBase: Double?
        var forgetBefore: Double?
        var forgetAfter: Double?
        var verifyError: String?
    }

    /// One setting a tuned restore evaluated (without writing it) and how it behaved.
    struct TuneTrial: Sendable {
        let search: TuneSearch.Trial
        /// What a restore at this setting would report (written in F32).
        let figures: CorrectionFactors.Figures
        var chosen = false
    }
}
