import Foundation
import Model
import Linalg
import SafeTensors
import TestSupport
import Testing

/// The Swift forward pass against transformers' logits on tiny random decoders
/// (`tools/fixtures/make_llama_forward.py`).
struct LlamaModelTests {
    static let fixtures = PythonScript.repositoryRoot + "/Tests/Fixtures/"
    static let models = [
        ("tiny-llama", fixtures + "tiny-llama/base"),           // GQA 4:2, tied head, F32
        ("llama3-untied", fixtures + "llama-forward/llama3-untied"),  // GQA 4:1, rope llama3, untied, BF16
        ("qwen2-bias", fixtures + "llama-forward/qwen2-bias"),   // q/k/v biases, tied, F32
    ]

    struct Expected: Decodable {
        let sequences: [[Int]]
        let perplexity: [String: Double]
        /// KL(llama3-untied ‖ llama3-perturbed), from transformers.
        let kl_llama3_perturbed: Double
    }

    static let expected: Expected = {
        let data = FileManager.default.contents(atPath: fixtures + "llama-forward/expected.json")!
        return try! JSONDecoder().decode(Expected.self, from: data)
    }()

    @Test(arguments: models)
    func logits_matchTransformers(name: String, path: String) throws {
        let model = try LlamaModel(directory: path)
        let reference = try SafeTensorsFile(path: Self.fixtures + "llama-forward/expected.safetensors")
        for (i, ids) in Self.expected.sequences.enumerated() {
            let logits = try model.logits(ids)
            let want = try reference.float32Array(reference.requireTensor("\(name).\(i)"))
            #expect(logits.storage.count == want.count)
            let worst = zip(logits.storage, want).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-3, "\(name) sequence \(i): max |Δlogit| = \(worst)")
        }
    }

    @Test func config_readsBothRopeKeyStyles() throws {
        let llama3 = try LlamaConfig.load(directory: Self.fixtures + "llama-forward/llama3-untied")
        #expect(llama3.ropeTheta == 500_000)
        #expect(llama3.ropeScaling?.factor == 8 && llama3.ropeScaling?.originalMaxPositionEmbeddings == 16)
        #expect(llama3.kvHeads == 1 && !llama3.tieWordEmbeddings)
        let qwen = try LlamaConfig.load(directory: Self.fixtures + "llama-forward/qwen2-bias")
        #expect(qwen.attentionBias && qwen.tieWordEmbeddings)
    }

    @Test func unsupportedModels_areRefusedWithTheReason() throws {
        let directory = NSTemporaryDirectory() + "retaind-model-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func refusal(_ config: String) -> String? {
            try? config.write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
            do { _ = try LlamaConfig.load(directory: directory); return nil } catch { return error.message }
        }
        let base = #""hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 10"#
        #expect(refusal(#"{"model_type": "gpt2", \#(base)}"#)?.contains("not a Llama-family decoder") == true)
        #expect(refusal(#"{"model_type": "llama", "rope_scaling": {"rope_type": "yarn", "factor": 4}, \#(base)}"#)?.contains("rope type \"yarn\"") == true)
        #expect(refusal(#"{"model_type": "llama", "hidden_act": "gelu", \#(base)}"#)?.contains("hidden_act") == true)
        #expect(refusal(#"{"model_type": "llama", "num_key_value_heads": 3, \#(base)}"#)?.contains("multiple") == true)
        #expect(refusal(#"{"model_type": "llama"}"#)?.contains("hidden_size") == true)
    }

    @Test func outOfVocabularyIds_areRefused() throws {
        let model = try LlamaModel(directory: Self.fixtures + "tiny-llama/base")
        #expect(throws: ModelError.self) { _ = try model.logits([1, 500]) }
    }
}

/// Perplexity and KL against transformers on the same fixtures.
struct EvaluationTests {
    static let fixtures = LlamaModelTests.fixtures

    @Test(arguments: LlamaModelTests.models)
    func perplexity_matchesTransformers(name: String, path: String) throws {
        let result = try Evaluation.run(model: LlamaModel(directory: path), sequences: LlamaModelTests.expected.sequences, batchSize: 2)
        let want = try #require(LlamaModelTests.expected.perplexity[name])
        #expect(abs(result.ppl - want) / want < 1e-4, "\(name): \(result.ppl) vs \(want)")
        #expect(result.tokens == 39 + 16 + 0)
        #expect(result.kl == nil)
    }

    @Test func kl_matchesTransformers_andIsZeroAgainstItself() throws {
        let base = try LlamaModel(directory: Self.fixtures + "llama-forward/llama3-untied")
        let perturbed = try LlamaModel(directory: Self.fixtures + "llama-forward/llama3-perturbed")
        let sequences = LlamaModelTests.expected.sequences
        let kl = try #require(try Evaluation.run(model: perturbed, base: base, sequences: sequences).kl)
        let want = LlamaModelTests.expected.kl_llama3_perturbed
        #expect(abs(kl - want) / want < 1e-4, "\(kl) vs \(want)")
        let same = try #require(try Evaluation.run(model: base, base: base, sequences: sequences).kl)
        #expect(abs(same) < 1e-9)
    }
}

/// A LoRA adapter evaluated on its base equals the checkpoint PEFT merged from it
/// (`Tests/Fixtures/tiny-llama/cand-lora-merged`).
struct AdapterModelTests {
    static let fixtures = LlamaModelTests.fixtures + "tiny-llama/"

    @Test func adapterOnItsBase_matchesThePEFTMergedCheckpoint() throws {
        let adapter = try LlamaModel(directory: Self.fixtures + "cand-lora", base: Self.fixtures + "base")
        let merged = try LlamaModel(directory: Self.fixtures + "cand-lora-merged")
        let ids = LlamaModelTests.expected.sequences[0]
        let a = try adapter.logits(ids), m = try merged.logits(ids)
        let worst = zip(a.storage, m.storage).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-4, "max |Δlogit| \(worst)")
        let base = try LlamaModel(directory: Self.fixtures + "base")
        let changed = zip(a.storage, try base.logits(ids).storage).map { abs($0 - $1) }.max()!
        #expect(changed > 1e-3, "the adapter must change the logits (\(changed))")
        #expect(try adapter.fingerprint() == (try LlamaModelTests.fingerprintOfDirectory(Self.fixtures + "cand-lora")))
    }

    @Test func refusals_carryTheirCode() throws {
        func code(_ body: () throws -> Void) -> ModelError.Code? {
            do { try body() } catch { return (error as? ModelError)?.code }
            return nil
        }
        #expect(code { _ = try LlamaModel(directory: Self.fixtures + "cand-lora") } == .adapterBase)
        #expect(code { _ = try LlamaModel(directory: Self.fixtures + "no-such-model") } == .invalidCheckpoint)
        let model = try LlamaModel(directory: Self.fixtures + "base")
        #expect(code { _ = try model.logits([1, 500]) } == .invalidInput)
        #expect(code { _ = try EvalData.load(Self.fixtures + "no-such-data.jsonl", sequenceLength: 8) } == .unreadableFile)
        let data = NSTemporaryDirectory() + "retaind-text-\(UUID().uuidString).jsonl"
        try "{\"text\": \"hello\"}".write(toFile: data, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: data) }
        #expect(code { _ = try EvalData.load(data, sequenceLength: 8) } == .missingTokenizer)
        let lazy = BPETokenizer.lazyEncoder(directory: NSTemporaryDirectory() + "no-such-model")
        #expect(code { _ = try EvalData.load(data, sequenceLength: 8, tokenize: lazy) } == .missingTokenizer)
    }

    @Test func adapterWithoutBase_isRefused() {
        #expect {
            _ = try LlamaModel(directory: Self.fixtures + "cand-lora")
        } throws: { error in
            (error as? ModelError)?.message.contains("give the base model too") == true
        }
    }
}

extension LlamaModelTests {
    static func fingerprintOfDirectory(_ path: String) throws -> String {
        try Checkpoint.open(path).stream { _, _ in }
    }
}

/// The layer-major pass a profile build runs shows its observer what batch-by-batch passes
/// show, and finishes each layer after every batch has passed it.
struct LayerMajorPassTests {
    /// Records every observation, in order.
    final class Recorder: SiteObserver {
        var seen: [(layer: Int, modules: [String], inputs: [Float])] = []
        var finished: [(layer: Int, observedSoFar: Int)] = []
        func observe(layer: Int, modules: [String], inputs: MatrixView<Float>) {
            var values: [Float] = []
            for r in 0..<inputs.rows { values += UnsafeBufferPointer(start: inputs.base + r * inputs.rowStride, count: inputs.cols) }
            seen.append((layer, modules, values))
        }
    }

    @Test(arguments: LlamaModelTests.models)
    func observer_seesWhatBatchPassesShow(name: String, path: String) throws {
        let model = try LlamaModel(directory: path)
        let sequences = LlamaModelTests.expected.sequences
        let batches = [Array(sequences.prefix(2)), Array(sequences.dropFirst(2))].filter { !$0.isEmpty }

        let batchMajor = Recorder()
        for batch in batches { _ = try model.hiddenStates(batch, observer: batchMajor) }
        let layerMajor = Recorder()
        try model.observeLayerMajor(batches, observer: layerMajor) { layer in
            layerMajor.finished.append((layer, layerMajor.seen.count))
        }

        // Same observations, reordered: layer by layer, batches in order within each layer.
        let layers = model.config.layers
        #expect(layerMajor.finished.map(\.layer) == Array(0..<layers))
        let perLayer = batchMajor.seen.count / (layers * batches.count)
        #expect(perLayer == 4, "q/k/v, o, gate/up and down inputs")
        var expected: [(layer: Int, modules: [String], inputs: [Float])] = []
        for layer in 0..<layers {
            for b in batches.indices {
                let start = (b * layers + layer) * perLayer
                expected += batchMajor.seen[start..<(start + perLayer)]
            }
        }
        #expect(layerMajor.seen.count == expected.count)
        for (got, want) in zip(layerMajor.seen, expected) {
            #expect(got.layer == want.layer && got.modules == want.modules, "\(name)")
            #expect(got.inputs == want.inputs, "\(name) layer \(got.layer) \(got.modules[0]): inputs differ")
        }
        // Layer L finishes once every batch has shown it, before any batch reaches L + 1.
        for (layer, count) in layerMajor.finished {
            #expect(count == (layer + 1) * batches.count * perLayer)
        }
    }
}
