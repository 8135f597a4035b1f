import Foundation
import SafeTensors
import SystemCalls

/// The shape of a `LlamaForCausalLM`-style decoder (Llama, Mistral, Qwen2, SmolLM), read
/// from a Hugging Face `config.json`.
///
/// Both the older keys (`rope_theta`, `rope_scaling`) and transformers 5's
/// `rope_parameters` are understood; rotary scalings other than `default` and `llama3`
/// are refused rather than silently computed wrong.
public struct LlamaConfig: Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var vocabSize: Int
    public var rmsNormEps: Float
    public var ropeTheta: Double
    public var ropeScaling: RopeScaling?
    public var tieWordEmbeddings: Bool
    /// Qwen2 puts biases on q/k/v; read when present.
    public var attentionBias: Bool

    /// `rope_scaling` of type `llama3` (Llama 3.1+): long wavelengths are divided by
    /// `factor`, short ones kept, the band between interpolated.
    public struct RopeScaling: Sendable, Equatable {
        public var factor: Double
        public var lowFreqFactor: Double
        public var highFreqFactor: Double
        public var originalMaxPositionEmbeddings: Double
    }

    static let supportedTypes: Set<String> = ["llama", "mistral", "qwen2"]

    /// Reads `directory/config.json` (a regular file of at most 64 MiB; a FIFO or device
    /// there is refused at once, never read).
    public static func load(directory: String) throws(ModelError) -> LlamaConfig {
        let path = directory + "/config.json"
        let data: Data
        do { data = Data(try FileSystem.readRegularFile(path, limit: 64 << 20)) } catch {
            throw ModelError(path: path, .unreadableFile, "cannot read config.json: \(error.message)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError(path: path, .invalidConfig, "config.json is not a JSON object")
        }
        return try LlamaConfig(json: object, path: path)
    }

    init(json: [String: Any], path: String) throws(ModelError) {
        func int(_ key: String) throws(ModelError) -> Int {
            guard let value = json[key] as? NSNumber, value.doubleValue == value.doubleValue.rounded(), value.intValue > 0 else {
                throw ModelError(path: path, .invalidConfig, "\"\(key)\" must be a positive integer")
            }
            return value.intValue
        }
        let type = json["model_type"] as? String ?? "?"
        guard Self.supportedTypes.contains(type) else {
            throw ModelError(path: path, .unsupportedModel, "model_type \"\(type)\" is not a Llama-family decoder (supported: \(Self.supportedTypes.sorted().joined(separator: ", ")))")
        }
        if let act = json["hidden_act"] as? String, act != "silu" {
            throw ModelError(path: path, .unsupportedModel, "hidden_act \"\(act)\" is not supported (only silu, as SwiGLU)")
        }
        hiddenSize = try int("hidden_size")
        intermediateSize = try int("intermediate_size")
        layers = try int("num_hidden_layers")
        heads = try int("num_attention_heads")
        kvHeads = json["num_key_value_heads"] == nil || json["num_key_value_heads"] is NSNull ? heads : try int("num_key_value_heads")
        headDim = json["head_dim"] == nil || json["head_dim"] is NSNull ? hiddenSize / heads : try int("head_dim")
        vocabSize = try int("vocab_size")
        guard heads % kvHeads == 0 else { throw ModelError(path: path, .invalidConfig, "num_attention_heads \(heads) is not a multiple of num_key_value_heads \(kvHeads)") }
        guard headDim % 2 == 0 else { throw ModelError(path: path, .invalidConfig, "head_dim \(headDim) must be even for rotary embeddings") }
        rmsNormEps = Float((json["rms_norm_eps"] as? NSNumber)?.doubleValue ?? 1e-6)
        tieWordEmbeddings = (json["tie_word_embeddings"] as? Bool) ?? false
        attentionBias = (json["attention_bias"] as? Bool) ?? (type == "qwen2")

        // transformers 5 nests these under rope_parameters; older files keep them flat.
        let parameters = json["rope_parameters"] as? [String: Any]
        let scaling = parameters ?? (json["rope_scaling"] as? [String: Any])
        ropeTheta = (parameters?["rope_theta"] as? NSNumber ?? json["rope_theta"] as? NSNumber)?.doubleValue ?? 10_000
        let ropeType = (scaling?["rope_type"] as? String) ?? (scaling?["type"] as? String) ?? "default"
        switch ropeType {
        case "default":
            ropeScaling = nil
        case "llama3":
            func number(_ key: String) throws(ModelError) -> Double {
                guard let value = (scaling?[key] as? NSNumber)?.doubleValue, value > 0 else {
                    throw ModelError(path: path, .invalidConfig, "rope scaling llama3 needs a positive \"\(key)\"")
                }
                return value
            }
            ropeScaling = RopeScaling(factor: try number("factor"), lowFreqFactor: try number("low_freq_factor"),
                                      highFreqFactor: try number("high_freq_factor"),
                                      originalMaxPositionEmbeddings: try number("original_max_position_embeddings"))
        default:
            throw ModelError(path: path, .unsupportedModel, "rope type \"\(ropeType)\" is not supported (default and llama3 are)")
        }
    }
}
