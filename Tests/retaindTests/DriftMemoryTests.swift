import Foundation
import SafeTensors
import Testing

/// `retaind drift`'s peak memory does not follow the largest tensor: a checkpoint whose
/// unprofiled table is 128 MiB (twice: base and candidate) is measured in far less.
@Suite struct DriftMemoryTests {
    static let embeddingShape = [32768, 1024]  // 128 MiB of F32
    static var embeddingBytes: Int { embeddingShape.reduce(4, *) }

    /// The tiny base's tensors plus a large embedding (values `i % 1000 · 1e-3 + shift`).
    static func checkpoint(_ directory: String, shift: Float) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let base = try SafeTensorsFile(path: CheckpointMaker.fixtures + "base/model.safetensors")
        let specs = base.tensors.map { TensorSpec(name: $0.name, dtype: $0.dtype, shape: $0.shape) }
            + [TensorSpec(name: "model.big_table.weight", dtype: .f32, shape: embeddingShape)]
        let writer = try SafeTensorsWriter(path: directory + "/model.safetensors", tensors: specs)
        for tensor in base.tensors { try writer.copy(tensor, from: base) }
        let block = (0..<(1 << 20)).map { Float($0 % 1000) * 1e-3 + shift }
        for _ in 0..<(embeddingBytes / 4 / block.count) { try block.withUnsafeBufferPointer { try writer.append($0) } }
        try writer.finish()
        try FileManager.default.copyItem(atPath: CheckpointMaker.fixtures + "base/config.json", toPath: directory + "/config.json")
    }

    /// The tiny retain profile, re-keyed to `base`'s fingerprint.
    static func profile(for base: String, into path: String) throws {
        let source = try SafeTensorsFile(path: CheckpointMaker.fixtures + "retain.profile.safetensors")
        var metadata = source.metadata
        metadata["base_fingerprint"] = try Checkpoint.open(base).fingerprint()
        let writer = try SafeTensorsWriter(path: path, tensors: source.tensors.map { TensorSpec(name: $0.name, dtype: $0.dtype, shape: $0.shape) },
                                           metadata: metadata)
        for tensor in source.tensors { try writer.copy(tensor, from: source) }
        try writer.finish()
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "needs /usr/bin/time for the peak RSS"))
    func peakMemory_staysBelowTheLargestTensor() throws {
        let dir = NSTemporaryDirectory() + "/retaind-memory-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.checkpoint(dir + "/base", shift: 0)
        try Self.checkpoint(dir + "/candidate", shift: 1e-3)
        try Self.profile(for: dir + "/base", into: dir + "/retain.profile.safetensors")
        let result = try RetaindProcess.runTimed(["drift", "--base", dir + "/base", "--candidate", dir + "/candidate",
                                                  "--profile", dir + "/retain.profile.safetensors", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        // The embedding changed, and was measured (in blocks, not whole).
        #expect(result.stdout.contains("model.big_table.weight"))
        let peak = try #require(result.peakKiB) * 1024
        #expect(peak < Self.embeddingBytes, "peak RSS \(peak >> 20) MiB, embedding \(Self.embeddingBytes >> 20) MiB")
    }
}

extension RetaindProcess {
    struct TimedResult {
        let status: Int32
        let stdout: String
        let stderr: String
        /// Peak resident set of the `retaind` process, from `/usr/bin/time`.
        let peakKiB: Int?
    }

    /// Runs `retaind` under `/usr/bin/time`, to learn its peak resident set.
    static func runTimed(_ arguments: [String]) throws -> TimedResult {
        let report = NSTemporaryDirectory() + "/retaind-time-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: report) }
        let result = try run(arguments, wrapper: ["/usr/bin/time", "-f", "%M", "-o", report])
        let peak = (try? String(contentsOfFile: report, encoding: .utf8))?
            .split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return TimedResult(status: result.status, stdout: result.stdout, stderr: result.stderr, peakKiB: peak)
    }
}
