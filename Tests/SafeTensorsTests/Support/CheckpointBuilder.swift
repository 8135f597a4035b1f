import Foundation
@testable import SafeTensors

/// Writes small checkpoints (F32, values from a formula) for tests.
enum CheckpointBuilder {
    /// Writes a safetensors file of F32 tensors `name → shape`, element i = i + seed.
    static func writeFile(_ path: String, _ tensors: [(String, [Int])], seed: Float = 0, metadata: [String: String] = [:]) throws {
        let specs = tensors.map { TensorSpec(name: $0.0, dtype: .f32, shape: $0.1) }
        let writer = try SafeTensorsWriter(path: path, tensors: specs, metadata: metadata)
        for spec in specs {
            let values = (0..<spec.shape.reduce(1, *)).map { Float($0) + seed }
            try values.withUnsafeBufferPointer { try writer.append($0) }
        }
        try writer.finish()
    }

    /// A two-shard checkpoint directory with config.json and an index.
    static func sharded(in dir: TemporaryDirectory, name: String = "ckpt", weightMap: [String: String]? = nil) throws -> String {
        let root = try dir.directory(name)
        try writeFile(root + "/model-00001-of-00002.safetensors", [("a.weight", [2, 3]), ("b.weight", [4])])
        try writeFile(root + "/model-00002-of-00002.safetensors", [("c.weight", [3, 3])])
        let map = weightMap ?? ["a.weight": "model-00001-of-00002.safetensors", "b.weight": "model-00001-of-00002.safetensors",
                                "c.weight": "model-00002-of-00002.safetensors"]
        try writeIndex(root, map)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: root + "/config.json"))
        return root
    }

    static func writeIndex(_ root: String, _ map: [String: String]) throws {
        let json = try JSONSerialization.data(withJSONObject: ["metadata": ["total_size": 0], "weight_map": map])
        try json.write(to: URL(fileURLWithPath: root + "/model.safetensors.index.json"))
    }

    /// A LoRA adapter directory with one module of rank `r`.
    static func lora(in dir: TemporaryDirectory, name: String = "adapter", config: [String: Any], tensors: [(String, [Int])]) throws -> String {
        let root = try dir.directory(name)
        try writeFile(root + "/adapter_model.safetensors", tensors)
        let json = try JSONSerialization.data(withJSONObject: config)
        try json.write(to: URL(fileURLWithPath: root + "/adapter_config.json"))
        return root
    }
}
