import Testing
@testable import SafeTensors

/// ΔW = s·B·A from PEFT-style adapters, against numpy's product in float64.
@Suite(.serialized) struct LoRAAdapterTests {
    @Test(arguments: ["plain", "rslora", "pattern", "fan_in_fan_out", "bf16"])
    func delta_matchesNumpy(kind: String) throws {
        let dir = try TemporaryDirectory("retaind-lora")
        try PythonFixtures.run(["lora", dir.file("adapter"), kind])
        let checkpoint = try Checkpoint.open(dir.file("adapter"))
        #expect(checkpoint.layout == .lora)
        let adapter = try #require(checkpoint.adapter)
        let expected = try SafeTensorsFile(path: dir.file("adapter.expected.safetensors"))
        #expect(adapter.modules.count == expected.tensors.count)
        for module in adapter.modules {
            let reference = try expected.requireTensor(module.weightName)
            #expect(module.deltaShape == reference.shape, "\(module.module)")
            let want = try expected.float32Array(reference)
            let got = try adapter.delta(of: module)
            let scale = want.map { abs($0) }.max()!
            let worst = zip(got, want).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-5 * scale, "\(module.module): max |Δ − numpy| = \(worst)")
        }
        if kind == "pattern" {
            // rank_pattern keys are regexes, first match in file order wins.
            #expect(adapter.module(updating: "model.layers.0.self_attn.v_proj.weight")?.rank == 6)
            #expect(adapter.module(updating: "model.layers.1.mlp.down_proj.weight")?.rank == 2)
            #expect(adapter.module(updating: "model.layers.1.mlp.down_proj.weight")?.scale == 1.5)
            #expect(adapter.module(updating: "model.layers.0.self_attn.q_proj.weight")?.scale == 2)
        }
        if kind == "rslora" {
            #expect(adapter.module(updating: "model.layers.0.self_attn.q_proj.weight")?.scale == 4)
        }
    }
}
