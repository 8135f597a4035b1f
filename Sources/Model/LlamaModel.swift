import Foundation
import Linalg
import SafeTensors

/// A `LlamaForCausalLM`-style decoder on the CPU: F32 compute over weights stored in
/// BF16, F16 or F32, converted one layer at a time; every matrix product in BLAS.
///
/// A pass runs layer by layer over a whole batch of sequences, so each layer's weights
/// are converted once per batch and only one layer is held in F32.
public final class LlamaModel {
    public let config: LlamaConfig
    public let path: String
    private let weights: LlamaWeights
    /// The checkpoint at ``path`` (for an adapter, the adapter; its base is in `weights`).
    private let checkpoint: Checkpoint

    /// Opens the model in `directory`: a full or sharded checkpoint with `config.json`,
    /// or a PEFT LoRA adapter applied to `base` (its `W0 + s·B·A` formed layer by layer,
    /// never written out).
    public init(directory: String, base: String? = nil) throws(ModelError) {
        path = directory
        do { checkpoint = try Checkpoint.open(directory) } catch { throw ModelError(path: directory, .invalidCheckpoint, "\(error)") }
        if let adapter = checkpoint.adapter {
            guard let base else {
                throw ModelError(path: directory, .adapterBase, "a LoRA adapter is evaluated on its base: give the base model too")
            }
            config = try LlamaConfig.load(directory: base)
            let baseCheckpoint: Checkpoint
            do { baseCheckpoint = try Checkpoint.open(base) } catch { throw ModelError(path: base, .invalidCheckpoint, "\(error)") }
            guard baseCheckpoint.adapter == nil else { throw ModelError(path: base, .adapterBase, "the base is itself an adapter") }
            for module in adapter.modules where baseCheckpoint.location(of: module.weightName) == nil {
                throw ModelError(path: directory, .adapterBase, "the adapter updates \(module.weightName), which the base does not have")
            }
            weights = LlamaWeights(config: config, checkpoint: baseCheckpoint, adapter: adapter)
        } else {
            config = try LlamaConfig.load(directory: directory)
            weights = LlamaWeights(config: config, checkpoint: checkpoint, adapter: nil)
        }
    }

    /// The final hidden states (after the last norm) of each sequence, `tokens × hidden`.
    public func hiddenStates(_ sequences: [[Int]], observer: SiteObserver? = nil) throws(ModelError) -> [Matrix<Float>] {
        try hiddenStates(sequences, variants: 1, edit: nil, observer: observer)[0]
    }

    /// Changes a decoder layer's linear weight (by tensor name, `[out, in]`, F32) for one
    /// variant of the model as a pass reaches the layer.
    public typealias LayerEdit = (_ variant: Int, _ weight: String, _ values: inout Matrix<Float>) -> Void

    /// The final hidden states of each sequence under each of `variants` versions of the
    /// model, `[variant][sequence]`: the checkpoint's weights with `edit` applied. Each
    /// layer is read and converted once for all variants, and nothing is written: how
    /// `restore.tune` evaluates many restores of one candidate.
    ///
    /// - Parameter embeddings: the embedding matrix when the caller holds it already (a
    ///   tied output projection); otherwise only the rows of the batch's tokens are read.
    public func hiddenStates(_ sequences: [[Int]], variants: Int, edit: LayerEdit?, embeddings: Matrix<Float>? = nil,
                             observer: SiteObserver? = nil) throws(ModelError) -> [[Matrix<Float>]] {
        let stacked = try stackedHiddenStates(sequences, variants: variants, edit: edit, embeddings: embeddings, observer: observer)
        return stacked.states.map { state in
            stacked.segments.map { segment in
                Matrix(rows: segment.count, cols: config.hiddenSize,
                       storage: Array(state.storage[(segment.lowerBound * config.hiddenSize)..<(segment.upperBound * config.hiddenSize)]))
            }
        }
    }

    /// The final hidden states of a batch under each variant, as
    /// ``hiddenStates(_:variants:edit:embeddings:observer:)`` computes them, but stacked:
    /// sequence `i` is rows `segments[i]` of each variant's matrix. A caller that reads
    /// them in place (perplexity) holds one copy of the batch per variant, not two.
    public func stackedHiddenStates(_ sequences: [[Int]], variants: Int, edit: LayerEdit?, embeddings: Matrix<Float>? = nil,
                                    observer: SiteObserver? = nil) throws(ModelError) -> (states: [Matrix<Float>], segments: [Range<Int>]) {
        let c = config
        let (x, segments) = try embed(sequences, embeddings: embeddings)
        var rotary = Rotary(config: c)
        rotary.reserve(sequences.map(\.count).max() ?? 0)
        let workspace = LayerWorkspace(config: c)
        var states = [Matrix<Float>](repeating: x, count: max(1, variants))
        for index in 0..<c.layers {
            let layer = try LlamaLayer(index, from: weights)
            for variant in states.indices {
                let used = edit.map { edit in layer.edited { edit(variant, $0, &$1) } } ?? layer
                workspace.run(used, index: index, on: &states[variant], segments: segments, rotary: rotary, observer: observer)
            }
        }
        let norm = try weights.vector("model.norm.weight", c.hiddenSize)
        for variant in states.indices {
            states[variant].withMutableView { v in LayerWorkspace.rmsNorm(v.readOnly, weight: norm, eps: c.rmsNormEps, into: v) }
        }
        return (states, segments)
    }

    /// Runs `batches` through the decoder layer-major: every batch passes layer `L` before
    /// any passes `L + 1`, and `layerFinished(L)` is called in between. A caller gathering
    /// statistics per layer (a profile build) can finish and free each layer's before the
    /// next begins, instead of holding every layer's at once; the price is the residual
    /// stream of all batches (tokens × hidden × 4 bytes). The observer sees exactly the
    /// inputs a batch-by-batch pass would show it.
    public func observeLayerMajor(_ batches: [[[Int]]], observer: SiteObserver,
                                  layerFinished: (Int) throws(ModelError) -> Void) throws(ModelError) {
        let c = config
        var states: [(x: Matrix<Float>, segments: [Range<Int>])] = []
        for batch in batches { states.append(try embed(batch, embeddings: nil)) }
        var rotary = Rotary(config: c)
        rotary.reserve(batches.joined().map(\.count).max() ?? 0)
        let workspace = LayerWorkspace(config: c)
        for index in 0..<c.layers {
            let layer = try LlamaLayer(index, from: weights)
            for b in states.indices {
                workspace.run(layer, index: index, on: &states[b].x, segments: states[b].segments, rotary: rotary, observer: observer)
            }
            try layerFinished(index)
        }
    }

    /// A batch's token embeddings stacked (sequence `i` is rows `segments[i]`), after
    /// checking every id.
    private func embed(_ sequences: [[Int]], embeddings: Matrix<Float>?) throws(ModelError) -> (x: Matrix<Float>, segments: [Range<Int>]) {
        let c = config
        for (i, ids) in sequences.enumerated() {
            guard !ids.isEmpty else { throw ModelError(path: path, .invalidInput, "sequence \(i) is empty") }
            if let bad = ids.first(where: { $0 < 0 || $0 >= c.vocabSize }) {
                throw ModelError(path: path, .invalidInput, "sequence \(i) has token id \(bad), outside the vocabulary of \(c.vocabSize)")
            }
        }
        var segments: [Range<Int>] = []
        var rows = 0
        for ids in sequences {
            segments.append(rows..<(rows + ids.count))
            rows += ids.count
        }
        let ids = sequences.flatMap { $0 }
        guard let embeddings else { return (try weights.rows(ids, of: "model.embed_tokens.weight", c.vocabSize, c.hiddenSize), segments) }
        var x = Matrix<Float>(rows: rows, cols: c.hiddenSize)
        for (r, id) in ids.enumerated() {
            for j in 0..<c.hiddenSize { x.storage[r * c.hiddenSize + j] = embeddings.storage[id * c.hiddenSize + j] }
        }
        return (x, segments)
    }

    /// Whether `name` is a weight a ``LayerEdit`` can change: a linear weight of a decoder layer.
    public static func isLayerLinearWeight(_ name: String) -> Bool { LlamaLayer.isLinearWeight(name) }

    /// The docs/spec.md §6 fingerprint of the checkpoint at ``path`` (one streaming read of
    /// every tensor).
    public func fingerprint() throws(ModelError) -> String {
        do {
            return try checkpoint.fingerprint()
        } catch {
            throw ModelError(path: path, .invalidCheckpoint, "\(error)")
        }
    }

    /// The output projection (`lm_head`, or the embeddings when tied), `vocab × hidden`.
    public func outputProjection() throws(ModelError) -> Matrix<Float> {
        try weights.matrix(isTied ? "model.embed_tokens.weight" : "lm_head.weight", config.vocabSize, config.hiddenSize)
    }

    /// Whether the output projection is the embedding matrix.
    public var isTied: Bool { config.tieWordEmbeddings || weights.checkpoint.location(of: "lm_head.weight") == nil }

    /// Logits of one sequence, `tokens × vocab`.
    public func logits(_ ids: [Int]) throws(ModelError) -> Matrix<Float> {
        let hidden = try hiddenStates([ids])[0]
        return Self.logits(hidden, head: try outputProjection())
    }

    /// `hidden · headᵀ`.
    public static func logits(_ hidden: Matrix<Float>, head: Matrix<Float>) -> Matrix<Float> {
        BLAS.product(hidden, .none, head, .transpose)
    }
}
