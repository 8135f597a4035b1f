import Foundation
import Linalg

/// One decoder layer applied to a batch of sequences in place, with the buffers it reuses
/// across layers and variants (allocated once per pass, not once per layer: fresh pages
/// cost a fault and a clear each).
final class LayerWorkspace {
    let config: LlamaConfig
    private var rows = 0
    private var normed = Matrix<Float>(rows: 0, cols: 0)
    private var q = Matrix<Float>(rows: 0, cols: 0), k = Matrix<Float>(rows: 0, cols: 0), v = Matrix<Float>(rows: 0, cols: 0)
    private var attention = Matrix<Float>(rows: 0, cols: 0)
    private var projected = Matrix<Float>(rows: 0, cols: 0)
    private var gate = Matrix<Float>(rows: 0, cols: 0), up = Matrix<Float>(rows: 0, cols: 0)

    /// Heads sharing a key/value head are scored in one product while their scores take at
    /// most this many floats (16 MiB); longer sequences go one head at a time.
    private static let stackedScoreBudget = 1 << 22
    /// The attention scores all workers hold at once, in floats (64 MiB).
    private static let attentionScratchBudget = 1 << 24

    init(config: LlamaConfig) {
        self.config = config
    }

    private func reserve(rows: Int) {
        guard rows != self.rows else { return }
        let c = config
        let qWidth = c.heads * c.headDim, kvWidth = c.kvHeads * c.headDim
        self.rows = rows
        normed = Matrix(rows: rows, cols: c.hiddenSize)
        q = Matrix(rows: rows, cols: qWidth)
        k = Matrix(rows: rows, cols: kvWidth)
        v = Matrix(rows: rows, cols: kvWidth)
        attention = Matrix(rows: rows, cols: qWidth)
        projected = Matrix(rows: rows, cols: c.hiddenSize)
        gate = Matrix(rows: rows, cols: c.intermediateSize)
        up = Matrix(rows: rows, cols: c.intermediateSize)
    }

    /// `x ← x + Attention(RMSNorm(x))`, then `x ← x + MLP(RMSNorm(x))`, for a batch of
    /// sequences stacked in `x`: `segments` are each sequence's rows. Every projection runs
    /// once over the whole batch (one large GEMM); only attention is per sequence.
    func run(_ layer: LlamaLayer, index: Int, on x: inout Matrix<Float>, segments: [Range<Int>], rotary: Rotary,
             observer: SiteObserver?) {
        let c = config
        reserve(rows: x.rows)
        let qWidth = c.heads * c.headDim, kvWidth = c.kvHeads * c.headDim
        let prefix = "model.layers.\(index)."
        x.withView { xv in normed.withMutableView { Self.rmsNorm(xv, weight: layer.inputNorm, eps: c.rmsNormEps, into: $0) } }
        normed.withView { observer?.observe(layer: index, modules: ["q_proj", "k_proj", "v_proj"].map { prefix + "self_attn." + $0 }, inputs: $0) }
        Self.linear(normed, layer.q, bias: layer.qBias, into: &q)
        Self.linear(normed, layer.k, bias: layer.kBias, into: &k)
        Self.linear(normed, layer.v, bias: layer.vBias, into: &v)
        q.storage.withUnsafeMutableBufferPointer { buffer in
            for segment in segments { rotary.apply(buffer.baseAddress! + segment.lowerBound * qWidth, rows: segment.count, heads: c.heads) }
        }
        k.storage.withUnsafeMutableBufferPointer { buffer in
            for segment in segments { rotary.apply(buffer.baseAddress! + segment.lowerBound * kvWidth, rows: segment.count, heads: c.kvHeads) }
        }
        attend(segments)
        attention.withView { observer?.observe(layer: index, modules: [prefix + "self_attn.o_proj"], inputs: $0) }
        Self.linear(attention, layer.o, bias: nil, into: &projected)
        Self.add(projected, to: &x)

        x.withView { xv in normed.withMutableView { Self.rmsNorm(xv, weight: layer.postAttentionNorm, eps: c.rmsNormEps, into: $0) } }
        normed.withView { observer?.observe(layer: index, modules: ["gate_proj", "up_proj"].map { prefix + "mlp." + $0 }, inputs: $0) }
        Self.linear(normed, layer.gate, bias: nil, into: &gate)
        Self.linear(normed, layer.up, bias: nil, into: &up)
        let width = c.intermediateSize
        gate.withMutableView { g in up.withView { u in
            Parallel.forEachChunk(g.rows, minimumChunk: 16) { range in
                VectorMath.siluProduct(g.base + range.lowerBound * width, u.base + range.lowerBound * width, count: range.count * width)
            }
        } }
        gate.withView { observer?.observe(layer: index, modules: [prefix + "mlp.down_proj"], inputs: $0) }
        Self.linear(gate, layer.down, bias: nil, into: &projected)
        Self.add(projected, to: &x)
    }

    /// Causal self-attention of every sequence (rows `segments` of `q`, `k`, `v`) into
    /// the same rows of `attention`. The work items are (sequence, block of heads sharing
    /// a key/value head); they are split across the cores, each running single-threaded
    /// BLAS on products too small to gain from OpenBLAS's own threads.
    private func attend(_ segments: [Range<Int>]) {
        let c = config
        let group = c.heads / c.kvHeads
        let items = segments.flatMap { segment in
            let block = group * segment.count * segment.count <= Self.stackedScoreBudget ? group : 1
            return stride(from: 0, to: c.heads, by: block).map { (segment: segment, head: $0, block: block) }
        }
        // Each worker holds its items' scores: fewer workers for long sequences, so that
        // all of them together stay within the budget (one head's n × n at least).
        let perWorker = items.map { $0.block * $0.segment.count * $0.segment.count }.max() ?? 1
        let workers = max(1, min(BLAS.threads, Self.attentionScratchBudget / max(1, perWorker)))
        q.withView { qv in k.withView { kv in v.withView { vv in attention.withMutableView { out in
            BLAS.singleThreaded {
                Parallel.forEachChunk(items.count, minimumChunk: 1, workers: workers) { range in
                    let largest = items[range].map { $0.block * $0.segment.count }.max() ?? 0
                    let longest = items[range].map(\.segment.count).max() ?? 0
                    var queries = [Float](repeating: 0, count: largest * c.headDim)
                    var outputs = queries
                    var scores = [Float](repeating: 0, count: largest * longest)
                    for item in items[range] {
                        Self.attend(item.segment, heads: item.head..<(item.head + item.block), config: c, q: qv, k: kv, v: vv, into: out,
                                    queries: &queries, scores: &scores, outputs: &outputs)
                    }
                }
            }
        } } } }
    }

    /// Attention of one sequence for `heads`, which share one key/value head: their
    /// queries stacked into one product with the keys, one softmax, one product with the values.
    private static func attend(_ segment: Range<Int>, heads: Range<Int>, config c: LlamaConfig,
                               q: MatrixView<Float>, k: MatrixView<Float>, v: MatrixView<Float>, into out: MutableMatrixView<Float>,
                               queries: inout [Float], scores: inout [Float], outputs: inout [Float]) {
        let n = segment.count, first = segment.lowerBound, d = c.headDim, block = heads.count
        let kvHead = heads.lowerBound / (c.heads / c.kvHeads)
        let scale = 1 / Float(d).squareRoot()
        queries.withUnsafeMutableBufferPointer { sq in scores.withUnsafeMutableBufferPointer { ss in
            outputs.withUnsafeMutableBufferPointer { so in
                for (b, head) in heads.enumerated() {
                    for t in 0..<n {
                        (sq.baseAddress! + (b * n + t) * d).update(from: q.base + (first + t) * q.rowStride + head * d, count: d)
                    }
                }
                let stacked = MatrixView(sq.baseAddress!, rows: block * n, cols: d)
                let keys = MatrixView(k.base + first * k.rowStride + kvHead * d, rows: n, cols: d, rowStride: k.rowStride)
                let values = MatrixView(v.base + first * v.rowStride + kvHead * d, rows: n, cols: d, rowStride: v.rowStride)
                let s = MutableMatrixView(ss.baseAddress!, rows: block * n, cols: n)
                BLAS.gemm(stacked, .none, keys, .transpose, into: s, alpha: scale)
                causalSoftmax(s, positions: n)
                let o = MutableMatrixView(so.baseAddress!, rows: block * n, cols: d)
                BLAS.gemm(s.readOnly, .none, values, .none, into: o)
                for (b, head) in heads.enumerated() {
                    for t in 0..<n {
                        (out.base + (first + t) * out.rowStride + head * d).update(from: so.baseAddress! + (b * n + t) * d, count: d)
                    }
                }
            }
        } }
    }

    /// `out ← x · Wᵀ (+ b)` for `W` stored `[out, in]`.
    static func linear(_ x: Matrix<Float>, _ w: Matrix<Float>, bias: [Float]?, into out: inout Matrix<Float>) {
        if let bias {
            for r in 0..<x.rows { for j in 0..<w.rows { out.storage[r * w.rows + j] = bias[j] } }
        }
        BLAS.gemm(x, .none, w, .transpose, into: &out, beta: bias == nil ? 0 : 1)
    }

    /// `x ← x + y`, split across the cores.
    static func add(_ y: Matrix<Float>, to x: inout Matrix<Float>) {
        let width = x.cols
        y.withView { yv in x.withMutableView { xv in
            Parallel.forEachChunk(xv.rows, minimumChunk: 64) { range in
                VectorMath.add(yv.base + range.lowerBound * width, to: xv.base + range.lowerBound * width, count: range.count * width)
            }
        } }
    }

    /// `y = x / sqrt(mean(x²) + ε) · w` per row, in F32 as transformers computes it.
    static func rmsNorm(_ x: MatrixView<Float>, weight: [Float], eps: Float, into y: MutableMatrixView<Float>) {
        weight.withUnsafeBufferPointer { w in
            Parallel.forEachChunk(x.rows, minimumChunk: 64) { range in
                for r in range {
                    let row = x.base + r * x.rowStride
                    var sum: Float = 0
                    for j in 0..<x.cols { sum += row[j] * row[j] }
                    let scale = 1 / (sum / Float(x.cols) + eps).squareRoot()
                    let out = y.base + r * y.rowStride
                    for j in 0..<x.cols { out[j] = w[j] * (row[j] * scale) }
                }
            }
        }
    }

    /// Softmax of each row over its first `position + 1` entries, where `position` is the
    /// row's index modulo `positions` (stacked heads); later entries (future tokens) become 0.
    static func causalSoftmax(_ s: MutableMatrixView<Float>, positions: Int) {
        Parallel.forEachChunk(s.rows, minimumChunk: 32) { range in
            for r in range {
                let row = s.base + r * s.rowStride
                let visible = r % positions + 1
                let peak = VectorMath.maximum(row, count: visible)
                VectorMath.exp(row, count: visible, minus: peak)
                var total: Float = 0
                for j in 0..<visible { total += row[j] }
                for j in 0..<visible { row[j] /= total }
                if visible < s.cols { (row + visible).update(repeating: 0, count: s.cols - visible) }
            }
        }
    }
}
