import Linalg
import SafeTensors

/// LoRA in, LoRA out (docs/spec.md §4): `D = s·B(A − (AQ)MQᵀ)`, so only `A` changes and the
/// output is an adapter of the same rank that PEFT loads as before.
extension Restore {
    static func runAdapter(candidate: Checkpoint, base: Checkpoint, retain: RetainProfile, forget: RetainProfile?,
                           options: RestoreOptions, destination: String, before: Drift.Measurement, version: String,
                           warnings: [String]) throws -> RestoreReport {
        let adapter = candidate.adapter!
        let plan = try Plan(candidate: candidate, base: base, retain: retain, forget: forget, options: options,
                            baseFingerprint: before.reference.fingerprint)
        // Corrected A of every adapted, profiled module, in F32.
        var corrected: [String: (module: LoRAModule, a: Matrix<Float>, original: LoRAFactors)] = [:]
        for name in plan.moduleOrder {
            guard let module = adapter.module(updating: name) else { continue }
            let original = try LoRAFactors(adapter, module)
            var a = original.a
            a.storage.withUnsafeMutableBufferPointer { plan.modules[name]!.correction.apply(to: $0, rows: a.rows) }
            corrected[name] = (module, a, original)
        }
        let sourceDTypes = Dictionary(uniqueKeysWithValues: corrected.map { ($0.key, $0.value.module.a.dtype) })
        func figures(_ dtypes: [String: DType]) -> Plan.Figures {
            var figures = Plan.Figures()
            for name in plan.moduleOrder {
                let module = plan.modules[name]!
                guard let entry = corrected[name] else {
                    figures.outcomes[name] = ModuleRestorer.Outcome()
                    continue
                }
                let a = rounded(entry.a, to: dtypes[name]!)
                let after = LoRAFactors(a: a, b: entry.original.b, scale: entry.original.scale)
                var o = ModuleRestorer.Outcome()
                o.deltaSquaredNorm = entry.original.squaredNorm
                o.writtenSquaredNorm = after.squaredNorm
                o.retainEnergyAfter = after.factorEnergies(module.retain).reduce(0, +)
                if let f = module.forget {
                    o.forgetEnergyBefore = entry.original.factorEnergies(f).reduce(0, +)
                    o.forgetEnergyAfter = after.factorEnergies(f).reduce(0, +)
                }
                figures.outcomes[name] = o
            }
            return figures
        }
        let (dtypes, reason) = outputDTypes(sourceDTypes, rule: options.outputDType) { rounded in
            (figures(rounded).finished(modules: plan.moduleOrder, before: before.report).driftAfter,
             figures(rounded.mapValues { _ in .f32 }).finished(modules: plan.moduleOrder, before: before.report).driftAfter)
        }

        return try withOutput(destination, candidate: candidate) { output in
            let aNames = Dictionary(uniqueKeysWithValues: corrected.map { ($0.value.module.a.name, $0.key) })
            let shardPlan = ShardPlan.mirroring(candidate) { tensor in aNames[tensor.name].map { dtypes[$0]! } ?? tensor.dtype }
            try CheckpointWriter.write(shardPlan, into: output, metadata: ["format": "pt"]) { spec, writer in
                if let weight = aNames[spec.name] {
                    let a = corrected[weight]!.a
                    var bytes = [UInt8](repeating: 0, count: a.storage.count * spec.dtype.size)
                    a.storage.withUnsafeBufferPointer { v in bytes.withUnsafeMutableBytes { Float32Conversion.narrow(v, to: spec.dtype, into: $0) } }
                    try bytes.withUnsafeBytes { try writer.append($0) }
                } else {
                    let location = candidate.location(of: spec.name)!
                    try writer.copy(location.tensor, from: location.file)
                }
            }
            return try finish(figures(dtypes), plan: plan, dtypes: dtypes, reason: reason, candidate: candidate, retain: retain,
                              forget: forget, options: options, output: output, before: before, version: version, warnings: warnings)
        }
    }

    /// `a` as it reads back after being stored in `dtype`.
    static func rounded(_ a: Matrix<Float>, to dtype: DType) -> Matrix<Float> {
        guard dtype != .f32 else { return a }
        var bytes = [UInt8](repeating: 0, count: a.storage.count * dtype.size)
        var out = a
        a.storage.withUnsafeBufferPointer { v in bytes.withUnsafeMutableBytes { Float32Conversion.narrow(v, to: dtype, into: $0) } }
        bytes.withUnsafeBytes { raw in out.storage.withUnsafeMutableBufferPointer { Float32Conversion.convert(raw, from: dtype, into: $0) } }
        return out
    }
}
