import ArgumentParser
import Foundation
import Linalg
import Model

/// `retaind eval`: behavioural check of a checkpoint — perplexity on held-out data and
/// divergence from its base.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Perplexity of a model on held-out sequences, and mean KL(base ‖ model).",
        discussion: """
            Data: JSONL, one independent sequence per row, "ids" (token ids, used as given) \
            or "text" (tokenized with the model's tokenizer.json, truncated to --seq-len). \
            Perplexity is exp of the mean next-token NLL over every predicted position of \
            every row, as transformers computes it; --json prints ppl, kl and tokens.
            """
    )

    @Option(help: "The model: a full or sharded Llama-family checkpoint.")
    var model: String

    @Option(help: "The held-out data (JSONL with \"ids\" or \"text\" per row).")
    var data: String

    @Option(help: "Also report KL(base ‖ model) against this checkpoint (required when --model is a LoRA adapter: it is applied to it).")
    var base: String?

    @Option(help: "Text rows are truncated to this many tokens.")
    var seqLen = 128

    @Flag(help: "Print JSON instead of a summary.")
    var json = false

    func validate() throws {
        guard seqLen > 1 else { throw ValidationError("--seq-len must be at least 2") }
    }

    func run() throws {
        let modelToEvaluate = try LlamaModel(directory: model, base: base)
        let reference = try base.map { path throws(ModelError) in try LlamaModel(directory: path) }
        let tokenizerDirectory = FileManager.default.fileExists(atPath: model + "/tokenizer.json") ? model : (base ?? model)
        let sequences = try EvalData.load(data, sequenceLength: seqLen, tokenize: BPETokenizer.lazyEncoder(directory: tokenizerDirectory))
        let result = try Evaluation.run(model: modelToEvaluate, base: reference, sequences: sequences)
        if json {
            try Output.printJSON(result)
            return
        }
        print("model   \(model)")
        print("ppl     \(String(format: "%.6g", result.ppl))  over \(result.tokens) predicted tokens")
        if let kl = result.kl { print("kl      \(String(format: "%.6g", kl)) nats/token from \(base!)") }
    }
}
