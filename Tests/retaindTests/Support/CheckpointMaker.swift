import Foundation
import SafeTensors
import TestSupport

/// Builds candidate checkpoints from the tiny-Llama fixtures: full updates of chosen
/// size (interpolations along the fixture's update), copies, and broken files.
enum CheckpointMaker {
    static let fixtures = DaemonHarness.fixtures

    /// `W0 + t·(W1 − W0)` of the fixture's full candidate, in F32, with `config.json`:
    /// drift scales with `t` (the fixture's own drift is ≈ 0.0016).
    static func interpolated(_ t: Float, into directory: String) throws {
        let base = try SafeTensorsFile(path: fixtures + "base/model.safetensors")
        let candidate = try SafeTensorsFile(path: fixtures + "cand-full/model.safetensors")
        let tensors = try base.tensors.map { info -> (String, [Int], [Float]) in
            let w0 = try base.float32Array(info)
            let w1 = try candidate.float32Array(candidate.requireTensor(info.name))
            return (info.name, info.shape, zip(w0, w1).map { $0 + t * ($1 - $0) })
        }
        try write(tensors, into: directory)
    }

    /// Writes F32 `tensors` as `file` beside a copy of the fixture file `companion` (the
    /// base's `config.json` by default).
    static func write(_ tensors: [(String, [Int], [Float])], into directory: String, file: String = "model.safetensors",
                      companion: String = "base/config.json") throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let writer = try SafeTensorsWriter(path: directory + "/" + file,
                                           tensors: tensors.map { TensorSpec(name: $0.0, dtype: .f32, shape: $0.1) })
        for (_, _, values) in tensors { try values.withUnsafeBufferPointer { try writer.append($0) } }
        try writer.finish()
        try FileManager.default.copyItem(atPath: fixtures + companion, toPath: directory + "/" + (companion as NSString).lastPathComponent)
    }

    /// The base's tensors, changed by `edit` (to make name, shape and value mismatches).
    static func edited(into directory: String, _ edit: (inout [(String, [Int], [Float])]) -> Void) throws {
        let base = try SafeTensorsFile(path: fixtures + "base/model.safetensors")
        var tensors = try base.tensors.map { ($0.name, $0.shape, try base.float32Array($0)) }
        edit(&tensors)
        try write(tensors, into: directory)
    }

    /// A fixture directory copied whole.
    static func copy(_ fixture: String, into directory: String) throws {
        try FileManager.default.copyItem(atPath: fixtures + fixture, toPath: directory)
    }

    /// A `model.safetensors` of raw bytes beside the base's `config.json`.
    static func raw(_ bytes: [UInt8], into directory: String, name: String = "model.safetensors") throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + name))
        if !FileManager.default.fileExists(atPath: directory + "/config.json") {
            try FileManager.default.copyItem(atPath: fixtures + "base/config.json", toPath: directory + "/config.json")
        }
    }

    /// A safetensors file: the 8-byte length, `header`, then `data`.
    static func file(header: String, data: [UInt8] = []) -> [UInt8] {
        let json = Array(header.utf8)
        return withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + data
    }

    /// The fixture LoRA adapter with every `lora_B` zeroed: an adapter that changes nothing
    /// (what a run whose optimizer never stepped saves).
    static func zeroedLoRA(into directory: String) throws {
        let adapter = try SafeTensorsFile(path: fixtures + "cand-lora/adapter_model.safetensors")
        let tensors = try adapter.tensors.map { info -> (String, [Int], [Float]) in
            let values = try adapter.float32Array(info)
            return (info.name, info.shape, info.name.contains("lora_B") ? [Float](repeating: 0, count: values.count) : values)
        }
        try write(tensors, into: directory, file: "adapter_model.safetensors", companion: "cand-lora/adapter_config.json")
    }
}
