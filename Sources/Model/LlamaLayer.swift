import Linalg
import SafeTensors

/// One decoder layer's weights in F32, converted from the checkpoint's dtype when the
/// layer is reached and dropped after it, so a pass holds one layer at a time.
struct LlamaLayer {
    /// `model.layers.N.`: the prefix of this layer's tensor names.
    let prefix: String
    let inputNorm: [Float]
    let postAttentionNorm: [Float]
    /// `[out, in]` as stored, applied as `x · Wᵀ`.
    var q: Matrix<Float>, k: Matrix<Float>, v: Matrix<Float>, o: Matrix<Float>
    let qBias: [Float]?, kBias: [Float]?, vBias: [Float]?
    var gate: Matrix<Float>, up: Matrix<Float>, down: Matrix<Float>

    init(_ index: Int, from weights: LlamaWeights) throws(ModelError) {
        let c = weights.config
        let p = "model.layers.\(index)."
        prefix = p
        let qWidth = c.heads * c.headDim, kvWidth = c.kvHeads * c.headDim
        inputNorm = try weights.vector(p + "input_layernorm.weight", c.hiddenSize)
        postAttentionNorm = try weights.vector(p + "post_attention_layernorm.weight", c.hiddenSize)
        q = try weights.matrix(p + "self_attn.q_proj.weight", qWidth, c.hiddenSize)
        k = try weights.matrix(p + "self_attn.k_proj.weight", kvWidth, c.hiddenSize)
        v = try weights.matrix(p + "self_attn.v_proj.weight", kvWidth, c.hiddenSize)
        o = try weights.matrix(p + "self_attn.o_proj.weight", c.hiddenSize, qWidth)
        if c.attentionBias {
            qBias = try weights.vector(p + "self_attn.q_proj.bias", qWidth)
            kBias = try weights.vector(p + "self_attn.k_proj.bias", kvWidth)
            vBias = try weights.vector(p + "self_attn.v_proj.bias", kvWidth)
        } else {
            (qBias, kBias, vBias) = (nil, nil, nil)
        }
        gate = try weights.matrix(p + "mlp.gate_proj.weight", c.intermediateSize, c.hiddenSize)
        up = try weights.matrix(p + "mlp.up_proj.weight", c.intermediateSize, c.hiddenSize)
        down = try weights.matrix(p + "mlp.down_proj.weight", c.hiddenSize, c.intermediateSize)
    }

    /// This layer with `edit` applied to each linear weight, by its tensor name.
    func edited(_ edit: (String, inout Matrix<Float>) -> Void) -> LlamaLayer {
        var layer = self
        edit(prefix + "self_attn.q_proj.weight", &layer.q)
        edit(prefix + "self_attn.k_proj.weight", &layer.k)
        edit(prefix + "self_attn.v_proj.weight", &layer.v)
        edit(prefix + "self_attn.o_proj.weight", &layer.o)
        edit(prefix + "mlp.gate_proj.weight", &layer.gate)
        edit(prefix + "mlp.up_proj.weight", &layer.up)
        edit(prefix + "mlp.down_proj.weight", &layer.down)
        return layer
    }

    /// Whether `name` is a linear weight of a decoder layer, the weights ``edited(_:)`` reaches.
    static func isLinearWeight(_ name: String) -> Bool {
        let parts = name.split(separator: ".")
        guard parts.count == 6, parts[0] == "model", parts[1] == "layers", Int(parts[2]) != nil, parts[5] == "weight" else { return false }
        switch (parts[3], parts[4]) {
        case ("self_attn", "q_proj"), ("self_attn", "k_proj"), ("self_attn", "v_proj"), ("self_attn", "o_proj"),
             ("mlp", "gate_proj"), ("mlp", "up_proj"), ("mlp", "down_proj"):
            return true
        default:
            return false
        }
    }
}

/// A model's tensors by name, converted to F32 on request and checked against the
/// config's shapes; with an adapter, the weights it updates come out as `W0 + ΔW`.
struct LlamaWeights {
    let config: LlamaConfig
    let checkpoint: Checkpoint
    let adapter: LoRAAdapter?

    func tensor(_ name: String, shape: [Int]) throws(ModelError) -> [Float] {
        let location = try checkedLocation(name, shape: shape)
        do {
            var values = try location.file.float32Array(location.tensor)
            if let adapter, let module = adapter.module(updating: name) {
                let delta = try adapter.delta(of: module)
                for i in values.indices { values[i] += delta[i] }
            }
            return values
        } catch {
            throw ModelError(path: checkpoint.path, .invalidCheckpoint, "\(error)")
        }
    }

    /// Rows `ids` of the `rows × cols` matrix `name`, in order: an embedding lookup reads
    /// only the rows a batch uses, never the whole `vocab × hidden` matrix (1 GiB in F32
    /// for a 128k vocabulary of width 2048).
    func rows(_ ids: [Int], of name: String, _ rows: Int, _ cols: Int) throws(ModelError) -> Matrix<Float> {
        if let adapter, adapter.module(updating: name) != nil {
            let whole = try matrix(name, rows, cols)
            var out = Matrix<Float>(rows: ids.count, cols: cols)
            for (r, id) in ids.enumerated() { for j in 0..<cols { out.storage[r * cols + j] = whole.storage[id * cols + j] } }
            return out
        }
        let location = try checkedLocation(name, shape: [rows, cols])
        var out = Matrix<Float>(rows: ids.count, cols: cols)
        let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: cols * location.tensor.dtype.size, alignment: 16)
        defer { staging.deallocate() }
        let failure = out.storage.withUnsafeMutableBufferPointer { all -> SafeTensorsError? in
            do throws(SafeTensorsError) {
                for (r, id) in ids.enumerated() {
                    let row = UnsafeMutableBufferPointer(rebasing: all[(r * cols)..<((r + 1) * cols)])
                    try location.file.readFloat32(location.tensor, elements: (id * cols)..<((id + 1) * cols), into: row, staging: staging)
                }
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw ModelError(path: checkpoint.path, .invalidCheckpoint, "\(failure)") }
        return out
    }

    private func checkedLocation(_ name: String, shape: [Int]) throws(ModelError) -> Checkpoint.Location {
        guard let location = checkpoint.location(of: name) else {
            throw ModelError(path: checkpoint.path, .weightMismatch, "tensor \(name) is missing")
        }
        guard location.tensor.shape == shape else {
            throw ModelError(path: checkpoint.path, .weightMismatch, "tensor \(name) has shape \(location.tensor.shape), config.json implies \(shape)")
        }
        guard location.tensor.dtype.isConvertibleToFloat32 else {
            throw ModelError(path: checkpoint.path, .weightMismatch, "tensor \(name) is \(location.tensor.dtype.rawValue), not a float type")
        }
        return location
    }

    func vector(_ name: String, _ count: Int) throws(ModelError) -> [Float] { try tensor(name, shape: [count]) }

    func matrix(_ name: String, _ rows: Int, _ cols: Int) throws(ModelError) -> Matrix<Float> {
        Matrix(rows: rows, cols: cols, storage: try tensor(name, shape: [rows, cols]))
    }
}
