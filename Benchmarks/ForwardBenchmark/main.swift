// Forward throughput of the Swift decoder: `ForwardBenchmark MODEL_DIR [SEQUENCES] [TOKENS]`
// runs SEQUENCES sequences of TOKENS random ids (default 8 × 128) through the model and
// the output head, three times after one warm-up, and prints the best tokens/s, the
// pass's GFLOP/s (matrix products counted) and, for the machine, the sgemm rate this
// process measures on the MLP's up-projection shape (all rows × hidden → intermediate).
import Foundation
import Linalg
import Model

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: ForwardBenchmark MODEL_DIR [SEQUENCES] [TOKENS]")
    exit(64)
}
let sequences = arguments.count > 2 ? Int(arguments[2])! : 8
let tokens = arguments.count > 3 ? Int(arguments[3])! : 128
let model = try LlamaModel(directory: arguments[1])
let c = model.config
var generator = SystemRandomNumberGenerator()
let batch = (0..<sequences).map { _ in (0..<tokens).map { _ in Int.random(in: 0..<c.vocabSize, using: &generator) } }
let head = try model.outputProjection()
var best = Double.infinity
for round in 0..<4 {
    let start = Date()
    let hidden = try model.hiddenStates(batch)
    for h in hidden { _ = LlamaModel.logits(h, head: head) }
    let seconds = Date().timeIntervalSince(start)
    if round > 0 { best = min(best, seconds) }
}

// Products of one pass: the layers' projections, attention's two products per head
// (computed over the full n × n square), the output head.
let rows = Double(sequences * tokens), n = Double(tokens)
let (d, q, kv, inter) = (Double(c.hiddenSize), Double(c.heads * c.headDim), Double(c.kvHeads * c.headDim), Double(c.intermediateSize))
let perLayer = 2 * rows * d * (q + 2 * kv) + 2 * rows * q * d + 3 * 2 * rows * d * inter
    + Double(sequences * c.heads) * 2 * 2 * n * n * Double(c.headDim)
let flops = Double(c.layers) * perLayer + 2 * rows * d * Double(c.vocabSize)

let a = Matrix<Float>(rows: sequences * tokens, cols: c.hiddenSize, storage: (0..<(sequences * tokens * c.hiddenSize)).map { _ in Float.random(in: -1...1) })
let w = Matrix<Float>(rows: c.intermediateSize, cols: c.hiddenSize, storage: (0..<(c.intermediateSize * c.hiddenSize)).map { _ in Float.random(in: -1...1) })
var out = Matrix<Float>(rows: sequences * tokens, cols: c.intermediateSize)
var sgemmBest = Double.infinity
for _ in 0..<20 {
    let start = Date()
    BLAS.gemm(a, .none, w, .transpose, into: &out)
    sgemmBest = min(sgemmBest, Date().timeIntervalSince(start))
}
let sgemmRate = 2 * rows * d * inter / sgemmBest / 1e9
let rate = flops / best / 1e9
print(String(format: "swift: %d × %d tokens in %.3f s: %.0f tokens/s, %.0f GFLOP/s = %.0f%% of sgemm (%.0f GFLOP/s, %d threads)",
             sequences, tokens, best, rows / best, rate, 100 * rate / sgemmRate, sgemmRate, BLAS.threads))
