import Foundation
import Testing
import TestSupport
import SafeTensors
@testable import Retention

/// Row blocks (forced small here) write the same bytes and figures as one block.
@Suite struct ModuleRestorerTests {
    @Test(arguments: ["model.layers.0.mlp.down_proj.weight", "model.layers.1.self_attn.q_proj.weight"])
    func smallBlocks_matchOneBlock(name: String) throws {
        let base = try Checkpoint.open(Fixtures.tiny("base")), candidate = try Checkpoint.open(Fixtures.tiny("cand-bf16"))
        let retain = try RetainProfile.read(Fixtures.tiny("retain.profile.safetensors"))
        let forget = try RetainProfile.read(Fixtures.tiny("forget.profile.safetensors"))
        let site = retain.site(of: name)!, forgetSite = forget.site(of: name)!
        let geometry = try ModuleGeometry(module: retain.modules[name]!, tensor: base.location(of: name)!.tensor, site: site, checkpoint: "")
        let correction = try SiteCorrection(retain: site, forget: forgetSite, alpha: 10, gamma: 10)
        var results: [(ModuleRestorer.Outcome, [UInt8])] = []
        for block in [1 << 20, 100, 7] {
            let path = try Fixtures.temporaryDirectory() + "/w.safetensors"
            let tensor = candidate.location(of: name)!.tensor
            let writer = try SafeTensorsWriter(path: path, tensors: [TensorSpec(name: name, dtype: .bf16, shape: tensor.shape)])
            let outcome = try ModuleRestorer(blockElements: block).restore(
                candidate: candidate.location(of: name)!, base: base.location(of: name)!, geometry: geometry, retain: site,
                forget: forgetSite, correction: correction, dtype: .bf16, writer: writer, measureUnrounded: true)
            try writer.finish()
            let file = try SafeTensorsFile(path: path)
            results.append((outcome, try file.bytes(of: file.tensors[0])))
        }
        for (outcome, bytes) in results.dropFirst() {
            #expect(bytes == results[0].1, "written bytes differ with small blocks")
            for (a, b) in [(outcome.retainEnergyAfter, results[0].0.retainEnergyAfter), (outcome.forgetEnergyAfter, results[0].0.forgetEnergyAfter),
                           (outcome.forgetEnergyBefore, results[0].0.forgetEnergyBefore), (outcome.retainEnergyUnrounded, results[0].0.retainEnergyUnrounded),
                           (outcome.writtenSquaredNorm, results[0].0.writtenSquaredNorm)] {
                #expect(abs(a - b) <= 1e-5 * abs(b), "\(a) vs \(b)")
            }
        }
    }
}
