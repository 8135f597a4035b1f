import Foundation
import Linalg

/// Perplexity of a model on held-out sequences, and its mean KL divergence from a base.
public enum Evaluation {
    /// What `retaind eval` reports; keys are the JSON names.
    public struct Result: Sendable, Codable, Equatable {
        /// `exp` of the mean next-token negative log-likelihood over every predicted
        /// position of every sequence, as transformers computes it.
        public let ppl: Double
        /// Mean over the same positions of `KL(base ‖ model)` of the next-token
        /// distributions (nats), when a base was given.
        public let kl: Double?
        /// Predicted positions: `Σ (length − 1)`.
        public let tokens: Int
    }

    /// Evaluates `model` (and its divergence from `base`) on `sequences`, `batchSize`
    /// sequences per pass (each layer is converted once per batch).
    public static func run(model: LlamaModel, base: LlamaModel? = nil, sequences: [[Int]],
                           batchSize: Int = 32) throws(ModelError) -> Result {
        if let base, base.config.vocabSize != model.config.vocabSize {
            throw ModelError(path: base.path, .invalidInput, "vocabulary of \(base.config.vocabSize) differs from the model's \(model.config.vocabSize)")
        }
        let head = try model.outputProjection()
        let baseHead = try base?.outputProjection()
        var nll = 0.0, divergence = 0.0, tokens = 0
        for start in stride(from: 0, to: sequences.count, by: max(1, batchSize)) {
            let batch = Array(sequences[start..<min(start + max(1, batchSize), sequences.count)])
            let hidden = try model.hiddenStates(batch, variants: 1, edit: nil, embeddings: model.isTied ? head : nil)[0]
            let baseHidden = try base?.hiddenStates(batch, variants: 1, edit: nil, embeddings: base?.isTied == true ? baseHead : nil)[0]
            for (i, ids) in batch.enumerated() where ids.count > 1 {
                let logits = LlamaModel.logits(hidden[i], head: head)
                tokens += ids.count - 1
                guard let baseHidden, let baseHead else {
                    nll += negativeLogLikelihood(logits, next: ids)
                    continue
                }
                // The divergence needs every entry of both distributions.
                let logProbs = logSoftmax(logits)
                for t in 0..<(ids.count - 1) { nll -= logProbs[t * head.rows + ids[t + 1]] }
                let baseLogProbs = logSoftmax(LlamaModel.logits(baseHidden[i], head: baseHead))
                for t in 0..<(ids.count - 1) {
                    var kl = 0.0
                    for v in 0..<head.rows {
                        let lb = baseLogProbs[t * head.rows + v]
                        kl += exp(lb) * (lb - logProbs[t * head.rows + v])
                    }
                    divergence += kl
                }
            }
        }
        guard tokens > 0 else { throw ModelError(path: model.path, .invalidInput, "no sequence has two or more tokens: nothing to predict") }
        return Result(ppl: exp(nll / Double(tokens)), kl: base == nil ? nil : divergence / Double(tokens), tokens: tokens)
    }

    /// Perplexity on `sequences` of each of `variants` versions of `model` (its weights
    /// changed by `edit`, see ``LlamaModel/hiddenStates(_:variants:edit:observer:)``), in
    /// variant order: one pass reads each layer once for all of them.
    public static func perplexities(model: LlamaModel, sequences: [[Int]], variants: Int, batchSize: Int = 32,
                                    edit: LlamaModel.LayerEdit?) throws(ModelError) -> [Result] {
        let head = try model.outputProjection()
        var nll = [Double](repeating: 0, count: max(1, variants)), tokens = 0
        for start in stride(from: 0, to: sequences.count, by: max(1, batchSize)) {
            let batch = Array(sequences[start..<min(start + max(1, batchSize), sequences.count)])
            let hidden = try model.stackedHiddenStates(batch, variants: variants, edit: edit, embeddings: model.isTied ? head : nil)
            for (i, ids) in batch.enumerated() where ids.count > 1 {
                let segment = hidden.segments[i]
                for variant in nll.indices {
                    let logits = hidden.states[variant].withView { all in
                        BLAS.product(MatrixView(all.base + segment.lowerBound * all.rowStride, rows: segment.count, cols: all.cols, rowStride: all.rowStride),
                                     .none, head, .transpose)
                    }
                    nll[variant] += negativeLogLikelihood(logits, next: ids)
                }
                tokens += ids.count - 1
            }
        }
        guard tokens > 0 else { throw ModelError(path: model.path, .invalidInput, "no sequence has two or more tokens: nothing to predict") }
        return nll.map { Result(ppl: exp($0 / Double(tokens)), kl: nil, tokens: tokens) }
    }

    /// `Σ_t −log softmax(logits[t])[ids[t + 1]]`: each row's log-sum-exp (F32 `exp`
    /// summed in F64, ``VectorMath/logSumExp(_:count:)``), without materialising the
    /// distribution (`tokens × vocab` doubles, 40 MB for a 100-token sequence of a 49k
    /// vocabulary); rows are split across the cores.
    static func negativeLogLikelihood(_ logits: Matrix<Float>, next ids: [Int]) -> Double {
        let positions = ids.count - 1
        guard positions > 0 else { return 0 }
        var partials = [Double](repeating: 0, count: positions)
        logits.withView { all in
            partials.withUnsafeMutableBufferPointer { out in
                Parallel.forEachChunk(positions, minimumChunk: 8) { range in
                    for t in range {
                        let row = all.base + t * all.rowStride
                        out[t] = VectorMath.logSumExp(row, count: all.cols) - Double(row[ids[t + 1]])
                    }
                }
            }
        }
        return partials.reduce(0, +)
    }

    /// Row-wise log-softmax in F64 (for the KL divergence, which needs every entry).
    static func logSoftmax(_ logits: Matrix<Float>) -> [Double] {
        var out = [Double](repeating: 0, count: logits.storage.count)
        for r in 0..<logits.rows {
            let row = r * logits.cols
            var peak = -Double.infinity
            for j in 0..<logits.cols { peak = max(peak, Double(logits.storage[row + j])) }
            var total = 0.0
            for j in 0..<logits.cols { total += exp(Double(logits.storage[row + j]) - peak) }
            let normalizer = peak + log(total)
            for j in 0..<logits.cols { out[row + j] = Double(logits.storage[row + j]) - normalizer }
        }
        return out
    }
}
