// Forward throughput of the Swift decoder: `ForwardBenchmark MODEL_DIR [SEQUENCES] [TOKENS]`
// runs SEQUENCES sequences of TOKENS random ids (default 8 × 128) through the model and
// the output head, three times after one warm-up, and prints the best tokens/s.
import Foundation
import Model

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: ForwardBenchmark MODEL_DIR [SEQUENCES] [TOKENS]")
    exit(64)
}
let sequences = arguments.count > 2 ? Int(arguments[2])! : 8
let tokens = arguments.count > 3 ? Int(arguments[3])! : 128
let model = try LlamaModel(directory: arguments[1])
var generator = SystemRandomNumberGenerator()
let batch = (0..<sequences).map { _ in (0..<tokens).map { _ in Int.random(in: 0..<model.config.vocabSize, using: &generator) } }
let head = try model.outputProjection()
var best = Double.infinity
for round in 0..<4 {
    let start = Date()
    let hidden = try model.hiddenStates(batch)
    for h in hidden { _ = LlamaModel.logits(h, head: head) }
    let seconds = Date().timeIntervalSince(start)
    if round > 0 { best = min(best, seconds) }
}
print(String(format: "swift: %d × %d tokens in %.3f s: %.0f tokens/s", sequences, tokens, best, Double(sequences * tokens) / best))
