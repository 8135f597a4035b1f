import Foundation
import Linalg
import SafeTensors
import TestSupport
@testable import Retention

/// Paths of the committed fixtures and the numpy reference.
enum Fixtures {
    static func tiny(_ name: String) -> String { PythonScript.repositoryRoot + "/Tests/Fixtures/tiny-llama/" + name }

    /// Runs `tools/reference/<script>` and returns its standard output.
    static func reference(_ script: String, _ arguments: [String]) throws -> Data {
        try PythonScript.run("tools/reference/" + script, arguments)
    }

    /// A fresh temporary directory path.
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "/retaind-retention-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Writes a checkpoint directory of F32 tensors (config.json + model.safetensors).
func writeCheckpoint(_ directory: String, _ tensors: [(String, [Int], [Float])], dtype: DType = .f32) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try Data("{\"model_type\":\"test\"}".utf8).write(to: URL(fileURLWithPath: directory + "/config.json"))
    let specs = tensors.map { TensorSpec(name: $0.0, dtype: dtype, shape: $0.1) }
    let writer = try SafeTensorsWriter(path: directory + "/model.safetensors", tensors: specs)
    for (_, _, values) in tensors {
        switch dtype {
        case .f32: try values.withUnsafeBufferPointer { try writer.append($0) }
        case .bf16:
            let bits = values.map { v -> UInt16 in
                let u = v.bitPattern
                return UInt16((u + 0x7FFF + ((u >> 16) & 1)) >> 16)
            }
            try bits.withUnsafeBytes { try writer.append($0) }
        default: fatalError("unsupported in tests")
        }
    }
    try writer.finish()
}
