import Foundation
import Linalg

/// One decoder layer applied to one sequence in place, with the scratch buffers it
/// reuses across sequences and layers.
final class LayerWorkspace {
    let config: LlamaConfig

    init(config: LlamaConfig) {
        self.config = config
    }

    /// `x ← x + Attention(RMSNorm(x))`, then `x ← x + MLP(RMSNorm(x))`, for a batch of
    /// sequences stacked in `x`: `segments` are each sequence's first row and length.
    /// Every projection runs once over the whole batch (one large GEMM); only attention
    /// is per sequence.
    func run(_ layer: LlamaLayer, index: Int, on x: inout Matrix<Float>, segments: [Range<Int>], rotary: Rotary,
             observer: SiteObserver?) {
        let c = config
        let rows = x.rows
        let qWidth = c.heads * c.headDim, kvWidth = c.kvHeads * c.headDim
        let prefix = "model.layers.\(index)."
        var normed = Matrix<Float>(rows: rows, cols: c.hiddenSize)
        x.withView { xv in normed.withMutableView { Self.rmsNorm(xv, weight: layer.inputNorm, eps: c.rmsNormEps, into: $0) } }
        normed.withView { observer?.observe(layer: index, modules: ["q_proj", "k_proj", "v_proj"].map { prefix + "self_attn." + $0 }, inputs: $0) }
        var q = Self.linear(normed, layer.q, bias: layer.qBias)
        var k = Self.linear(normed, layer.k, bias: layer.kBias)
        let v = Self.linear(normed, layer.v, bias: layer.vBias)
        q.storage.withUnsafeMutableBufferPointer { buffer in
            for segment in segments { rotary.apply(buffer.baseAddress! + segment.lowerBound * qWidth, rows: segment.count, heads: c.heads) }
        }
        k.storage.withUnsafeMutableBufferPointer { buffer in
            for segment in segments { rotary.apply(buffer.baseAddress! + segment.lowerBound * kvWidth, rows: segment.count, heads: c.kvHeads) }
        }

        var attention = Matrix<Float>(rows: rows, cols: qWidth)
        let longest = segments.map(\.count).max() ?? 0
        var scores = [Float](repeating: 0, count: longest * longest)
        let scale = 1 / Float(c.headDim).squareRoot()
        let group = c.heads / c.kvHeads
        q.withView { qv in k.withView { kv in v.withView { vv in
            attention.withMutableView { out in
                scores.withUnsafeMutableBufferPointer { scratch in
                    for segment in segments {
                        let n = segment.count, first = segment.lowerBound
                        let s = MutableMatrixView(scratch.baseAddress!, rows: n, cols: n)
                        for h in 0..<c.heads {
                            let kvHead = h / group
                            let qh = MatrixView(qv.base + first * qWidth + h * c.headDim, rows: n, cols: c.headDim, rowStride: qWidth)
                            let kh = MatrixView(kv.base + first * kvWidth + kvHead * c.headDim, rows: n, cols: c.headDim, rowStride: kvWidth)
                            let vh = MatrixView(vv.base + first * kvWidth + kvHead * c.headDim, rows: n, cols: c.headDim, rowStride: kvWidth)
                            BLAS.gemm(qh, .none, kh, .transpose, into: s, alpha: scale)
                            Self.causalSoftmax(s)
                            let oh = MutableMatrixView(out.base + first * qWidth + h * c.headDim, rows: n, cols: c.headDim, rowStride: qWidth)
                            BLAS.gemm(s.readOnly, .none, vh, .none, into: oh)
                        }
                    }
                }
            }
        } } }
        attention.withView { observer?.observe(layer: index, modules: [prefix + "self_attn.o_proj"], inputs: $0) }
        let projected = Self.linear(attention, layer.o, bias: nil)
        for i in x.storage.indices { x.storage[i] += projected.storage[i] }

        x.withView { xv in normed.withMutableView { Self.rmsNorm(xv, weight: layer.postAttentionNorm, eps: c.rmsNormEps, into: $0) } }
        normed.withView { observer?.observe(layer: index, modules: ["gate_proj", "up_proj"].map { prefix + "mlp." + $0 }, inputs: $0) }
        var gate = Self.linear(normed, layer.gate, bias: nil)
        let up = Self.linear(normed, layer.up, bias: nil)
        for i in gate.storage.indices {
            let g = gate.storage[i]
            gate.storage[i] = g / (1 + Foundation.exp(-g)) * up.storage[i]
        }
        gate.withView { observer?.observe(layer: index, modules: [prefix + "mlp.down_proj"], inputs: $0) }
        let down = Self.linear(gate, layer.down, bias: nil)
        for i in x.storage.indices { x.storage[i] += down.storage[i] }
    }

    /// `x · Wᵀ (+ b)` for `W` stored `[out, in]`.
    static func linear(_ x: Matrix<Float>, _ w: Matrix<Float>, bias: [Float]?) -> Matrix<Float> {
        var out = Matrix<Float>(rows: x.rows, cols: w.rows)
        if let bias {
            for r in 0..<x.rows { for j in 0..<w.rows { out.storage[r * w.rows + j] = bias[j] } }
        }
        BLAS.gemm(x, .none, w, .transpose, into: &out, beta: bias == nil ? 0 : 1)
        return out
    }

    /// `y = x / sqrt(mean(x²) + ε) · w` per row, in F32 as transformers computes it.
    static func rmsNorm(_ x: MatrixView<Float>, weight: [Float], eps: Float, into y: MutableMatrixView<Float>) {
        for r in 0..<x.rows {
            let row = x.base + r * x.rowStride
            var sum: Float = 0
            for j in 0..<x.cols { sum += row[j] * row[j] }
            let scale = 1 / (sum / Float(x.cols) + eps).squareRoot()
            let out = y.base + r * y.rowStride
            for j in 0..<x.cols { out[j] = weight[j] * (row[j] * scale) }
        }
    }

    /// Softmax of each row over its first `row + 1` entries; later entries (future
    /// tokens) become 0.
    static func causalSoftmax(_ s: MutableMatrixView<Float>) {
        for r in 0..<s.rows {
            let row = s.base + r * s.rowStride
            var peak = -Float.infinity
            for j in 0...r { peak = max(peak, row[j]) }
            var total: Float = 0
            for j in 0...r {
                row[j] = Foundation.exp(row[j] - peak)
                total += row[j]
            }
            for j in 0...r { row[j] /= total }
            for j in (r + 1)..<max(r + 1, s.cols) { row[j] = 0 }
        }
    }
}
