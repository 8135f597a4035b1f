/// The parts of a PEFT `adapter_config.json` that decide a LoRA update's size.
///
/// `rank_pattern` and `alpha_pattern` keys are regular expressions matched the way PEFT
/// matches them (`re.match(r"(.*\.)?(KEY)$", module)`, first key in file order wins).
public struct LoRAConfig: Sendable {
    public let rank: Int
    public let alpha: Double
    public let useRSLoRA: Bool
    /// The adapted weights are stored `[in, out]` (GPT-2 `Conv1D`); ΔW is transposed to match.
    public let fanInFanOut: Bool
    public let rankPattern: [(pattern: String, rank: Int)]
    public let alphaPattern: [(pattern: String, alpha: Double)]

    /// Parses and checks the config; DoRA, LoRA biases and non-LoRA PEFT types are refused.
    public init(json: JSONValue, checkpoint: String) throws(CheckpointError) {
        func bad(_ key: String, _ detail: String) -> CheckpointError {
            CheckpointError(checkpoint: checkpoint, reason: .invalidAdapterConfig(key: key, detail: detail))
        }
        func unsupported(_ detail: String) -> CheckpointError {
            CheckpointError(checkpoint: checkpoint, reason: .unsupportedAdapter(detail: detail))
        }
        guard let object = json.object else { throw bad("(root)", "is \(json.kindName), not an object") }
        if let type = object["peft_type"], !type.isNull {
            guard let text = type.string else { throw bad("peft_type", "is \(type.kindName), not a string") }
            guard text == "LORA" else { throw unsupported("peft_type \(text); only LORA adapters are read") }
        }
        if let dora = object["use_dora"], dora.bool == true {
            throw unsupported("DoRA (use_dora = true) adds a magnitude vector that ΔW = s·B·A does not describe")
        }
        if let bias = object["lora_bias"], bias.bool == true {
            throw unsupported("lora_bias = true trains bias terms outside ΔW = s·B·A")
        }
        guard let r = object["r"]?.int, r > 0 else { throw bad("r", "must be a positive integer") }
        guard let alpha = object["lora_alpha"]?.double, alpha.isFinite else { throw bad("lora_alpha", "must be a finite number") }
        func flag(_ key: String) throws(CheckpointError) -> Bool {
            guard let value = object[key], !value.isNull else { return false }
            guard let b = value.bool else { throw bad(key, "is \(value.kindName), not a boolean") }
            return b
        }
        var ranks: [(String, Int)] = []
        if let pattern = object["rank_pattern"], !pattern.isNull {
            guard let map = pattern.object else { throw bad("rank_pattern", "is \(pattern.kindName), not an object") }
            for (key, value) in map.members {
                guard let v = value.int, v > 0 else { throw bad("rank_pattern.\(key)", "must be a positive integer") }
                guard (try? Regex(key)) != nil else { throw bad("rank_pattern.\(key)", "is not a valid regular expression") }
                ranks.append((key, v))
            }
        }
        var alphas: [(String, Double)] = []
        if let pattern = object["alpha_pattern"], !pattern.isNull {
            guard let map = pattern.object else { throw bad("alpha_pattern", "is \(pattern.kindName), not an object") }
            for (key, value) in map.members {
                guard let v = value.double, v.isFinite else { throw bad("alpha_pattern.\(key)", "must be a finite number") }
                guard (try? Regex(key)) != nil else { throw bad("alpha_pattern.\(key)", "is not a valid regular expression") }
                alphas.append((key, v))
            }
        }
        self.rank = r
        self.alpha = alpha
        self.useRSLoRA = try flag("use_rslora")
        self.fanInFanOut = try flag("fan_in_fan_out")
        self.rankPattern = ranks
        self.alphaPattern = alphas
    }

    /// The rank configured for `module` (its name in the base model, e.g. `model.layers.0.mlp.up_proj`).
    public func rank(for module: String) -> Int {
        Self.firstMatch(rankPattern.map { ($0.pattern, $0.rank) }, module) ?? rank
    }

    /// The alpha configured for `module`.
    public func alpha(for module: String) -> Double {
        Self.firstMatch(alphaPattern.map { ($0.pattern, $0.alpha) }, module) ?? alpha
    }

    /// `s` in ΔW = s·B·A: alpha / r, or alpha / √r with rsLoRA.
    public func scale(for module: String) -> Double {
        let r = Double(rank(for: module))
        return alpha(for: module) / (useRSLoRA ? r.squareRoot() : r)
    }

    private static func firstMatch<T>(_ patterns: [(String, T)], _ module: String) -> T? {
        for (pattern, value) in patterns {
            guard let regex = try? Regex("(.*\\.)?(\(pattern))") else { continue }
            if (try? regex.wholeMatch(in: module)) != nil { return value }
        }
        return nil
    }
}
