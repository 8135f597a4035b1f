import Foundation
import Testing
@testable import SafeTensors

/// Both directions of the round trip against the Python `safetensors` package.
@Suite(.serialized) struct PythonRoundTripTests {
    typealias Expected = [String: [String: PythonFixtures.Tensor]]

    static func pythonFiles() throws -> (TemporaryDirectory, Expected) {
        let dir = try TemporaryDirectory("retaind-py")
        let data = try PythonFixtures.run(["write", dir.path])
        return (dir, try PythonFixtures.decode(Expected.self, from: data))
    }

    static func compare(_ file: SafeTensorsFile, _ expected: [String: PythonFixtures.Tensor]) throws {
        #expect(Set(file.tensors.map(\.name)) == Set(expected.keys))
        for (name, tensor) in expected {
            let info = try file.requireTensor(name)
            #expect(info.shape == tensor.shape, "\(name)")
            let values = try file.float32Array(info)
            // Python widened the same stored values to float64; F32 holds them exactly.
            #expect(values.map(Double.init) == tensor.values, "\(name) in \(file.path)")
        }
    }

    @Test(arguments: ["f32", "f16", "bf16", "f64"])
    func pythonWrittenFile_readsIdenticalValues(kind: String) throws {
        let (dir, expected) = try Self.pythonFiles()
        let file = try SafeTensorsFile(path: dir.file("\(kind).safetensors"))
        try Self.compare(file, try #require(expected[kind]))
        if kind == "f32" { #expect(file.metadata == ["format": "pt", "note": "ünïcode ✓"]) }
    }

    @Test func pythonShardedCheckpoint_readsIdenticalValues() throws {
        let (dir, expected) = try Self.pythonFiles()
        let checkpoint = try Checkpoint.open(dir.file("sharded"))
        #expect(checkpoint.layout == .sharded)
        #expect(checkpoint.files.count == 2)
        let sharded = try #require(expected["sharded"])
        #expect(checkpoint.tensorNames.count == sharded.count)
        for (name, tensor) in sharded {
            let location = try #require(checkpoint.location(of: name))
            #expect(try location.file.float32Array(location.tensor).map(Double.init) == tensor.values)
        }
    }

    @Test func fingerprint_matchesIndependentPythonAndIgnoresSharding() throws {
        let (dir, _) = try Self.pythonFiles()
        let single = try Checkpoint.open(dir.file("f32.safetensors")).fingerprint()
        let sharded = try Checkpoint.open(dir.file("sharded")).fingerprint()
        let python = String(decoding: try PythonFixtures.run(["fingerprint", dir.file("f32.safetensors")]), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(single == python)
        #expect(sharded == single)
        let bf16 = try Checkpoint.open(dir.file("bf16.safetensors")).fingerprint()
        let pythonBF16 = String(decoding: try PythonFixtures.run(["fingerprint", dir.file("bf16.safetensors")]), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(bf16 == pythonBF16)
        #expect(bf16 != single)
    }

    struct PythonRead: Decodable {
        struct Tensor: Decodable { let dtype: String; let shape: [Int]; let values: [Double] }
        let metadata: [String: String]
        let tensors: [String: Tensor]
    }

    @Test(arguments: [DType.f32, .f16, .bf16, .f64])
    func swiftWrittenFile_loadsInPythonWithIdenticalValues(dtype: DType) throws {
        let dir = try TemporaryDirectory("retaind-py")
        let values: [Float] = (0..<37).map { Float($0) * 0.25 - 3 }  // exact in every dtype
        let specs = [TensorSpec(name: "b.weight", dtype: dtype, shape: [37]),
                     TensorSpec(name: "a.empty", dtype: dtype, shape: [0]),
                     TensorSpec(name: "c.matrix", dtype: dtype, shape: [2, 3])]
        let path = dir.file("swift.safetensors")
        let writer = try SafeTensorsWriter(path: path, tensors: specs, metadata: ["format": "pt", "source": "retaind"])
        for spec in specs {
            let data = Array(values.prefix(spec.shape.reduce(1, *)))
            try encode(data, as: dtype).withUnsafeBytes { try writer.append($0) }
        }
        try writer.finish()
        let read = try PythonFixtures.decode(PythonRead.self, from: PythonFixtures.run(["read", path]))
        #expect(read.metadata == ["format": "pt", "source": "retaind"])
        #expect(read.tensors["b.weight"]?.values == values.map(Double.init))
        #expect(read.tensors["c.matrix"]?.shape == [2, 3])
        #expect(read.tensors["c.matrix"]?.values == values.prefix(6).map(Double.init))
        #expect(read.tensors["a.empty"]?.values == [])
        // And Swift reads its own file back the same.
        let file = try SafeTensorsFile(path: path)
        #expect(try file.float32Array(file.requireTensor("b.weight")) == values)
    }

    private func encode(_ values: [Float], as dtype: DType) -> [UInt8] {
        var out: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        for v in values {
            switch dtype {
            case .f32: put(v.bitPattern)
            case .f16: put(Float16(v).bitPattern)
            case .bf16: put(UInt16(v.bitPattern >> 16))
            case .f64: put(Double(v).bitPattern)
            default: fatalError()
            }
        }
        return out
    }
}
