import Foundation
import Model
import Retention
import SafeTensors
import SystemCalls

extension Processor {
    /// `restore.tune`: searches `(α, γ)` on the tuning data without writing any setting
    /// (``TuneSearch``: each pass restores the layers of every setting it evaluates as it
    /// reaches them, from ``CorrectionFactors``), then restores the chosen setting once,
    /// into `destination`. Scratch disk: none beyond that one checkpoint.
    ///
    /// - Returns: the written restore's report, and every trial in the order tried, the
    ///   chosen one marked.
    func tunedRestore(_ checkpoint: Checkpoint, watch: ActiveWatch, tune: Configuration.Tune, tuning: TuningData,
                      measured: Drift.Measurement, destination: String) throws -> (report: RestoreReport, trials: [Outcome.TuneTrial]) {
        var options = watch.settings.restore.options
        options.targetDrift = nil
        // The search's memory (the sites' bases, the model's layers) is gone before the
        // chosen setting is written.
        let trials = try search(checkpoint, watch: watch, tune: tune, tuning: tuning, measured: measured, maxUpdateGain: options.maxUpdateGain)
        let chosen = trials.firstIndex { $0.chosen }!
        options.alpha = trials[chosen].search.alpha
        options.gamma = trials[chosen].search.gamma
        deadline.refresh()
        let context = watch.context
        let report = try Restore.run(candidate: checkpoint, base: context.base, retain: context.retain, forget: context.forget,
                                     options: options, destination: destination, measured: measured, version: RetaindVersion.current)
        return (report, trials)
    }

    /// Runs ``TuneSearch`` on the tuning data, each step's settings restored in one
    /// forward pass of the candidate. Returns every trial in the order tried, the chosen
    /// one marked.
    private func search(_ checkpoint: Checkpoint, watch: ActiveWatch, tune: Configuration.Tune, tuning: TuningData,
                        measured: Drift.Measurement, maxUpdateGain: Double) throws -> [Outcome.TuneTrial] {
        let context = watch.context
        deadline.refresh()
        let factors = try CorrectionFactors(candidate: checkpoint, base: context.base, retain: context.retain, forget: context.forget,
                                            reference: measured.reference)
        if let outside = factors.moduleOrder.first(where: { !LlamaModel.isLayerLinearWeight($0) }) {
            throw DriftError(checkpoint: checkpoint.path, reason: .notRestorableInPass(module: outside))
        }
        let model = try LlamaModel(directory: checkpoint.path, base: watch.settings.base)
        let search = TuneSearch(alphas: tune.alphas, gammas: tune.gammas, budget: tune.evaluations, tolerance: tune.retainPPLTolerance,
                                baseRetainPPL: tuning.baseRetainPPL, maxUpdateGain: maxUpdateGain)
        var trials: [Outcome.TuneTrial] = []
        let deadline = self.deadline
        let (_, chosen) = try search.run { settings, stage in
            let prepared = settings.map { factors.setting(alpha: $0.alpha, gamma: $0.gamma) }
            let pass = factors.pass()
            // A pass may take minutes for many settings: every layer counts as progress.
            let edit: LlamaModel.LayerEdit = { variant, name, weight in
                deadline.refresh()
                pass.restore(name, &weight, at: prepared[variant])
            }
            // Batches of up to 8192 tokens (all of the default tune_tokens): every layer is
            // restored once per setting and batch.
            let retain = try Evaluation.perplexities(model: model, sequences: tuning.retain, variants: settings.count,
                                                     batchSize: Self.batchSize(tuning.retain), edit: edit)
            // Forgetting only decides between settings within the tolerance: the others
            // skip the forget pass.
            let measured = settings.indices.filter { search.isAcceptable(retainPPL: retain[$0].ppl) }
            let forget = measured.isEmpty ? [] : try Evaluation.perplexities(model: model, sequences: tuning.forget, variants: measured.count,
                                                                             batchSize: Self.batchSize(tuning.forget)) {
                edit(measured[$0], $1, &$2)
            }
            if let failure = pass.failure { throw failure }
            if let failure = prepared.lazy.compactMap(\.failure).first { throw failure }
            return try settings.indices.map { i in
                let figures = try factors.figures(of: prepared[i])
                let trial = TuneSearch.Trial(alpha: settings[i].alpha, gamma: prepared[i].gamma, retainPPL: retain[i].ppl,
                                             forgetPPL: measured.firstIndex(of: i).map { forget[$0].ppl }, updateKept: figures.updateKept, stage: stage)
                trials.append(.init(search: trial, figures: figures))
                return trial
            }
        }
        trials[chosen].chosen = true
        return trials
    }

    /// Sequences per batch of a tuning pass: as many as hold 8192 tokens at the longest's length.
    static func batchSize(_ sequences: [[Int]]) -> Int {
        max(1, 8192 / max(1, sequences.map(\.count).max() ?? 1))
    }

    /// Scratch directories of the tuning of earlier versions (which wrote every setting)
    /// started with this; one left by a crash is still removed at start.
    static let tunePrefix = ".retaind-tune-"

    /// Removes tuning scratch directories left in `outputRoot` by processes that died.
    static func removeStaleTuning(in outputRoot: String) {
        FileSystem.removeStaleTemporaries(in: outputRoot, prefix: tunePrefix)
    }
}
