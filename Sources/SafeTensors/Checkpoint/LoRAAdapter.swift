/// One adapted module of a LoRA adapter: ΔW = s · B · A, paired by module name.
public struct LoRAModule: Sendable {
    /// The module's name in the base model, e.g. `model.layers.0.self_attn.q_proj`.
    public let module: String
    /// The weight of the base model this update applies to (`module + ".weight"`).
    public let weightName: String
    /// `A`, stored `[r, in]`.
    public let a: TensorInfo
    /// `B`, stored `[out, r]`.
    public let b: TensorInfo
    public let rank: Int
    /// `s` in ΔW = s·B·A.
    public let scale: Double
    /// ΔW is transposed to the base weight's `[in, out]` storage.
    public let fanInFanOut: Bool

    /// Shape of ΔW as the base weight stores it.
    public var deltaShape: [Int] {
        fanInFanOut ? [a.shape[1], b.shape[0]] : [b.shape[0], a.shape[1]]
    }
}

/// A PEFT LoRA adapter: its config and its modules, keyed by the base weight they update.
public struct LoRAAdapter: Sendable {
    public let config: LoRAConfig
    /// Modules sorted by weight name.
    public let modules: [LoRAModule]
    /// The adapter's tensor file.
    public let file: SafeTensorsFile

    private static let prefix = "base_model.model."

    /// Pairs `A` and `B` factors of `file` by module name and checks their shapes against
    /// the configured ranks.
    public init(config: LoRAConfig, file: SafeTensorsFile, checkpoint: String) throws(CheckpointError) {
        func fail(_ reason: CheckpointError.Reason) -> CheckpointError { CheckpointError(checkpoint: checkpoint, reason: reason) }
        var aFactors: [String: TensorInfo] = [:]
        var bFactors: [String: TensorInfo] = [:]
        for tensor in file.tensors {
            var name = Substring(tensor.name)
            if name.hasPrefix(Self.prefix) { name = name.dropFirst(Self.prefix.count) }
            if name.hasSuffix(".lora_A.weight") {
                aFactors[String(name.dropLast(".lora_A.weight".count))] = tensor
            } else if name.hasSuffix(".lora_B.weight") {
                bFactors[String(name.dropLast(".lora_B.weight".count))] = tensor
            } else if name.hasSuffix(".lora_magnitude_vector") || name.contains(".lora_magnitude_vector.") {
                throw fail(.unsupportedAdapter(detail: "tensor \(tensor.name) is a DoRA magnitude vector"))
            } else {
                throw fail(.unsupportedAdapter(detail: "tensor \(tensor.name) is not a LoRA factor (lora_A/lora_B); modules_to_save, embedding LoRA and trainable tokens are not supported"))
            }
        }
        for module in bFactors.keys where aFactors[module] == nil {
            throw fail(.unpairedLoRA(module: module, missing: "lora_A.weight"))
        }
        var modules: [LoRAModule] = []
        for (module, a) in aFactors {
            guard let b = bFactors[module] else { throw fail(.unpairedLoRA(module: module, missing: "lora_B.weight")) }
            for t in [a, b] where !t.dtype.isConvertibleToFloat32 {
                throw fail(.file(SafeTensorsError(path: file.path, reason: .unsupportedDType(tensor: t.name, dtype: t.dtype))))
            }
            guard a.shape.count == 2, b.shape.count == 2 else {
                throw fail(.invalidLoRAShape(module: module, detail: "A is [\(a.shapeText)] and B is [\(b.shapeText)]; both must be 2-D"))
            }
            let rank = config.rank(for: module)
            guard a.shape[0] == rank, b.shape[1] == rank else {
                throw fail(.invalidLoRAShape(module: module, detail: "A is [\(a.shapeText)] and B is [\(b.shapeText)] but the configured rank is \(rank)"))
            }
            modules.append(LoRAModule(module: module, weightName: module + ".weight", a: a, b: b, rank: rank,
                                      scale: config.scale(for: module), fanInFanOut: config.fanInFanOut))
        }
        guard !modules.isEmpty else { throw fail(.notACheckpoint(detail: """
            adapter_model.safetensors holds no LoRA factors (what DeepSpeed ZeRO-3 with PEFT saves when gathering the \
            adapter fails): save it with its parameters gathered (stage3_gather_16bit_weights_on_model_save: true, or \
            accelerator.get_state_dict before save_pretrained)
            """)) }
        self.config = config
        self.modules = modules.sorted { $0.weightName.utf8.lexicographicallyPrecedes($1.weightName.utf8) }
        self.file = file
    }

    /// The module that updates base weight `weightName`, if any.
    public func module(updating weightName: String) -> LoRAModule? {
        modules.first { $0.weightName == weightName }
    }

    /// ΔW = s·B·A of `module` in F32, laid out as the base weight stores it
    /// (`[out, in]`, or `[in, out]` with `fan_in_fan_out`). Materialised on request only:
    /// drift never needs it, restoration of full checkpoints does.
    public func delta(of module: LoRAModule) throws(SafeTensorsError) -> [Float] {
        let a = try file.float32Array(module.a)  // [r, in]
        let b = try file.float32Array(module.b)  // [out, r]
        let r = module.rank, inputs = module.a.shape[1], outputs = module.b.shape[0]
        let s = Float(module.scale)
        var delta = [Float](repeating: 0, count: inputs * outputs)
        delta.withUnsafeMutableBufferPointer { d in
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    if module.fanInFanOut {
                        // d[j, i] = s Σ_k b[i, k] a[k, j]  → rows of d are columns of ΔW.
                        for j in 0..<inputs {
                            let row = d.baseAddress! + j * outputs
                            for k in 0..<r {
                                let akj = s * a[k * inputs + j]
                                for i in 0..<outputs { row[i] += akj * b[i * r + k] }
                            }
                        }
                    } else {
                        for i in 0..<outputs {
                            let row = d.baseAddress! + i * inputs
                            for k in 0..<r {
                                let bik = s * b[i * r + k]
                                let arow = a.baseAddress! + k * inputs
                                for j in 0..<inputs { row[j] += bik * arow[j] }
                            }
                        }
                    }
                }
            }
        }
        return delta
    }
}
