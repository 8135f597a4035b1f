import Foundation
import Model

/// A watch's `[watch.verify]`, ready to use: its held-out data tokenized once with the
/// base's tokenizer, and the base's retain perplexity (the reference the
/// `gate.retain_ppl_ratio` gate compares with).
final class Verification: Sendable {
    /// The watch's base: LoRA candidates and outputs are evaluated on it.
    let base: String
    let retain: [[Int]]?
    let forget: [[Int]]?
    let baseRetainPPL: Double?
    /// The base on the forget data: what the forgetting guard measures the forget effect from.
    let baseForgetPPL: Double?
    /// Which data verify, for the history and the journal: `retain <path> (<n> tokens); forget …`.
    let source: String

    private init(base: String, retain: [[Int]]?, forget: [[Int]]?, baseRetainPPL: Double?, baseForgetPPL: Double?, source: String) {
        self.base = base
        self.retain = retain
        self.forget = forget
        self.baseRetainPPL = baseRetainPPL
        self.baseForgetPPL = baseForgetPPL
        self.source = source
    }

    /// Loads the data and measures the base once.
    static func load(_ settings: Configuration.Verify, watch: String, base: String) throws(DaemonError) -> Verification {
        do {
            let tokenize = BPETokenizer.lazyEncoder(directory: base)
            let retain = try settings.retainEval.map { path throws(ModelError) in try EvalData.load(path, sequenceLength: settings.seqLength, tokenize: tokenize) }
            let forget = try settings.forgetEval.map { path throws(ModelError) in try EvalData.load(path, sequenceLength: settings.seqLength, tokenize: tokenize) }
            let baseRetain = try retain.map { data throws(ModelError) in try perplexity(of: base, on: data, base: base) }
            let baseForget = try forget.map { data throws(ModelError) in try perplexity(of: base, on: data, base: base) }
            let parts = [("retain", settings.retainEval, retain), ("forget", settings.forgetEval, forget)].compactMap { role, path, data in
                data.map { "\(role) \(path!) (\(TuningData.tokenCount($0)) tokens)" }
            }
            return Verification(base: base, retain: retain, forget: forget, baseRetainPPL: baseRetain, baseForgetPPL: baseForget,
                                source: parts.joined(separator: "; "))
        } catch {
            throw DaemonError.watchDisabled(watch: watch, reason: "verify: \(error)")
        }
    }

    /// Perplexity of the checkpoint in `directory` (a full model, or an adapter on
    /// `base`) on `data`.
    static func perplexity(of directory: String, on data: [[Int]], base: String) throws(ModelError) -> Double {
        try Evaluation.run(model: LlamaModel(directory: directory, base: base), sequences: data).ppl
    }

    /// Perplexity of `directory` on `data`, adapters applied to this watch's base.
    func perplexity(of directory: String, on data: [[Int]]) throws(ModelError) -> Double {
        try Self.perplexity(of: directory, on: data, base: base)
    }
}
