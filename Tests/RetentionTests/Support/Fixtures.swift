import Foundation
import Linalg
import SafeTensors
@testable import Retention

/// Paths of the committed fixtures and the numpy reference.
enum Fixtures {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func tiny(_ name: String) -> String { root + "/Tests/Fixtures/tiny-llama/" + name }

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Runs `tools/reference/<script>` and returns its standard output.
    static func reference(_ script: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", root + "/tools/reference/" + script] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(script) failed (needs numpy: `make test` installs it):\n" + String(decoding: errors, as: UTF8.self))
        }
        return data
    }

    /// A fresh temporary directory path.
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "/retaind-retention-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// A small deterministic generator so failures reproduce.
struct SplitMix {
    var state: UInt64
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53) * 2 - 1
    }
    mutating func floats(_ n: Int, scale: Double = 1) -> [Float] { (0..<n).map { _ in Float(next() * scale) } }
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
