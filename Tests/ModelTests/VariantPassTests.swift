import Foundation
import Retention
import SafeTensors
import Testing
import TestSupport
@testable import Model

/// One pass evaluating several restores of a candidate (what `restore.tune` does)
/// against evaluating each restore written to disk: the perplexities must agree.
@Suite(.serialized) struct VariantPassTests {
    static let fixtures = LlamaModelTests.fixtures + "tiny-llama/"
    static let settings: [(alpha: Double, gamma: Double)] = [(0.1, 0), (10, 10), (1000, 100)]

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "/retaind-variants-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test(arguments: ["cand-full", "cand-lora"])
    func restoredVariants_haveThePerplexityOfTheWrittenRestores(candidate: String) throws {
        let base = Self.fixtures + "base"
        let c = try Checkpoint.open(Self.fixtures + candidate), b = try Checkpoint.open(base)
        let retain = try RetainProfile.read(Self.fixtures + "retain.profile.safetensors")
        let forget = try RetainProfile.read(Self.fixtures + "forget.profile.safetensors")
        let measured = try Drift.measure(candidate: c, base: b, profile: retain)
        let factors = try CorrectionFactors(candidate: c, base: b, retain: retain, forget: forget, reference: measured.reference)
        #expect(factors.moduleOrder.allSatisfy(LlamaModel.isLayerLinearWeight))
        let data = try EvalData.load(Self.fixtures + "retain.jsonl", sequenceLength: 64)
        let prepared = Self.settings.map { factors.setting(alpha: $0.alpha, gamma: $0.gamma) }
        let pass = factors.pass()
        var layersSeen = 0
        let model = try LlamaModel(directory: Self.fixtures + candidate, base: base)
        // Batches of 5 sequences: the variants must stay apart across batches too.
        let inPass = try Evaluation.perplexities(model: model, sequences: data, variants: prepared.count, batchSize: 5) { variant, name, weight in
            if name.hasSuffix("q_proj.weight") { layersSeen += 1 }
            pass.restore(name, &weight, at: prepared[variant])
        }
        #expect(layersSeen == 4 * prepared.count * model.config.layers, "each layer of each variant, once per batch")
        #expect(pass.failure == nil)
        let directory = try Self.temporaryDirectory()
        for (i, setting) in Self.settings.enumerated() {
            let report = try Restore.run(candidate: c, base: b, retain: retain, forget: forget,
                                         options: RestoreOptions(alpha: setting.alpha, gamma: setting.gamma, outputDType: .float32),
                                         destination: directory + "/\(i)", measured: measured)
            let written = try Evaluation.run(model: LlamaModel(directory: report.path, base: base), sequences: data).ppl
            #expect(abs(inPass[i].ppl - written) <= 1e-7 * written, "α \(setting.alpha) γ \(setting.gamma): in pass \(inPass[i].ppl), written \(written)")
            // The figures the pass gathered (P rebuilt per layer, four batches) are the written report's.
            let figures = try factors.figures(of: prepared[i])
            #expect(abs(figures.updateKept - report.updateKept) <= 1e-4 * report.updateKept, "update_kept \(figures.updateKept) vs \(report.updateKept)")
            #expect(abs(figures.forgetKept! - report.forgetKept!) <= 1e-4 * report.forgetKept!, "forget_kept \(figures.forgetKept!) vs \(report.forgetKept!)")
        }
        let plain = try Evaluation.run(model: model, sequences: data).ppl
        let unedited = try Evaluation.perplexities(model: model, sequences: data, variants: 1, edit: nil)
        #expect(unedited[0].ppl == plain)
    }

    /// An edit of one variant leaves the others exactly as the unedited model.
    @Test func variantsStayApart() throws {
        let model = try LlamaModel(directory: Self.fixtures + "cand-full")
        let data = try EvalData.load(Self.fixtures + "retain.jsonl", sequenceLength: 64)
        let plain = try Evaluation.run(model: model, sequences: data).ppl
        let results = try Evaluation.perplexities(model: model, sequences: data, variants: 3, batchSize: 5) { variant, name, weight in
            if variant == 1, name.hasSuffix("mlp.down_proj.weight") { weight.storage = weight.storage.map { $0 * 20 } }
        }
        #expect(results[0].ppl == plain && results[2].ppl == plain)
        #expect(abs(results[1].ppl - plain) > 1e-3 * plain, "\(results[1].ppl) vs \(plain)")
    }

    @Test func layerLinearWeights_areRecognisedByName() {
        #expect(LlamaModel.isLayerLinearWeight("model.layers.12.mlp.down_proj.weight"))
        #expect(LlamaModel.isLayerLinearWeight("model.layers.0.self_attn.k_proj.weight"))
        #expect(!LlamaModel.isLayerLinearWeight("model.layers.0.self_attn.k_proj.bias"))
        #expect(!LlamaModel.isLayerLinearWeight("lm_head.weight"))
        #expect(!LlamaModel.isLayerLinearWeight("model.layers.x.mlp.up_proj.weight"))
    }
}
