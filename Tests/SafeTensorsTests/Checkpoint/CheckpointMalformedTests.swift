import Foundation
import Testing
@testable import SafeTensors

/// Broken checkpoint layouts are typed errors naming the checkpoint and the culprit.
@Suite struct CheckpointMalformedTests {
    typealias Reason = CheckpointError.Reason

    func reason(_ path: String) throws -> Reason? {
        let error = #expect(throws: CheckpointError.self) { try Checkpoint.open(path) }
        #expect(error?.checkpoint == path)
        return error?.reason
    }

    static let first = "model-00001-of-00002.safetensors"
    static let second = "model-00002-of-00002.safetensors"

    @Test func validSharded_opensWithEveryTensor() throws {
        let dir = try TemporaryDirectory()
        let checkpoint = try Checkpoint.open(try CheckpointBuilder.sharded(in: dir))
        #expect(checkpoint.tensorNames == ["a.weight", "b.weight", "c.weight"])
    }

    @Test(arguments: ["../outside.safetensors", "/etc/passwd", "sub/x.safetensors", "..", ""])
    func shardNameLeavingTheDirectory_isRejected(shard: String) throws {
        let dir = try TemporaryDirectory()
        let root = try CheckpointBuilder.sharded(in: dir, weightMap: ["a.weight": Self.first, "b.weight": Self.first, "c.weight": shard])
        guard case .unsafeFileName(file: shard, _) = try reason(root) else {
            Issue.record("expected unsafeFileName for \(shard)")
            return
        }
    }

    @Test func symlinkResolvingOutside_isRejected() throws {
        let dir = try TemporaryDirectory()
        let root = try CheckpointBuilder.sharded(in: dir)
        try CheckpointBuilder.writeFile(dir.file("elsewhere.safetensors"), [("c.weight", [3, 3])])
        try FileManager.default.removeItem(atPath: root + "/" + Self.second)
        try FileManager.default.createSymbolicLink(atPath: root + "/" + Self.second, withDestinationPath: dir.file("elsewhere.safetensors"))
        guard case .unsafeFileName(file: Self.second, let detail) = try reason(root) else {
            Issue.record("expected unsafeFileName")
            return
        }
        #expect(detail.contains("outside the checkpoint"))
    }

    @Test func symlinkInside_isAccepted() throws {
        let dir = try TemporaryDirectory()
        let root = try CheckpointBuilder.sharded(in: dir)
        try FileManager.default.moveItem(atPath: root + "/" + Self.second, toPath: root + "/real.bin")
        try FileManager.default.createSymbolicLink(atPath: root + "/" + Self.second, withDestinationPath: "real.bin")
        #expect(try Checkpoint.open(root).tensorNames.count == 3)
    }

    @Test func missingShard_isRejected() throws {
        let dir = try TemporaryDirectory()
        let root = try CheckpointBuilder.sharded(in: dir)
        try FileManager.default.removeItem(atPath: root + "/" + Self.second)
        #expect(try reason(root) == .missingFile(file: Self.second))
    }

    @Test func indexedTensorAbsentFromShard_isRejected() throws {
        let dir = try TemporaryDirectory()
        let root = try CheckpointBuilder.sharded(in: dir, weightMap: [
            "a.weight": Self.first, "b.weight": Self.first, "c.weight": Self.second, "d.weight": Self.second])
        #expect(try reason(root) == .tensorNotInShard(tensor: "d.weight", shard: Self.second))
    }

    @Test func shardTensorMissingFromIndex_isRejected() throws {
        let dir = try TemporaryDirectory()
        let root = try CheckpointBuilder.sharded(in: dir, weightMap: ["a.weight": Self.first, "c.weight": Self.second])
        #expect(try reason(root) == .tensorNotIndexed(tensor: "b.weight", shard: Self.first))
    }

    @Test func tensorInTwoShards_isRejected() throws {
        let dir = try TemporaryDirectory()
        let root = try CheckpointBuilder.sharded(in: dir)
        try FileManager.default.removeItem(atPath: root + "/" + Self.second)
        try CheckpointBuilder.writeFile(root + "/" + Self.second, [("a.weight", [2, 3]), ("c.weight", [3, 3])])
        #expect(try reason(root) == .duplicateTensor(tensor: "a.weight", files: [Self.first, Self.second]))
    }

    @Test func indexNotJSON_isRejected() throws {
        let dir = try TemporaryDirectory()
        let root = try CheckpointBuilder.sharded(in: dir)
        try Data("{\"weight_map\": {".utf8).write(to: URL(fileURLWithPath: root + "/model.safetensors.index.json"))
        guard case .invalidIndex(let detail) = try reason(root) else { Issue.record("expected invalidIndex"); return }
        #expect(detail.contains("not valid JSON"))
    }

    @Test func indexWithoutWeightMap_isRejected() throws {
        let dir = try TemporaryDirectory()
        let root = try CheckpointBuilder.sharded(in: dir)
        try Data("{\"metadata\": {}}".utf8).write(to: URL(fileURLWithPath: root + "/model.safetensors.index.json"))
        #expect(try reason(root) == .invalidIndex(detail: "has no \"weight_map\""))
    }

    @Test func missingConfig_isRejected() throws {
        let dir = try TemporaryDirectory()
        let root = try dir.directory("single")
        try CheckpointBuilder.writeFile(root + "/model.safetensors", [("w", [2])])
        #expect(try reason(root) == .missingConfig)
    }

    @Test func corruptShard_isRejectedWithTheFileError() throws {
        let dir = try TemporaryDirectory()
        let root = try CheckpointBuilder.sharded(in: dir)
        let path = root + "/" + Self.second
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 100)
        try handle.close()
        guard case .file(let error) = try reason(root) else { Issue.record("expected a file error"); return }
        #expect(error.path.hasSuffix(Self.second))
    }

    @Test func directoryWithoutWeights_isNotACheckpoint() throws {
        let dir = try TemporaryDirectory()
        let root = try dir.directory("evals")
        try dir.write("evals/results.json", "{}")
        #expect(CheckpointLayout.detect(directory: root) == nil)
        guard case .notACheckpoint = try reason(root) else { Issue.record("expected notACheckpoint"); return }
        try dir.write("evals/pytorch_model.bin", "x")
        guard case .notACheckpoint(let detail) = try reason(root) else { Issue.record("expected notACheckpoint"); return }
        #expect(detail.contains("safe_serialization"))
    }

    @Test func nanInTensor_isRejectedByTheStreamingPass() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("nan.safetensors")
        let writer = try SafeTensorsWriter(path: path, tensors: [TensorSpec(name: "w", dtype: .f32, shape: [40])])
        var values = [Float](repeating: 0.5, count: 40)
        values[33] = .nan
        try values.withUnsafeBufferPointer { try writer.append($0) }
        try writer.finish()
        let checkpoint = try Checkpoint.open(path)
        #expect(throws: CheckpointError(checkpoint: path, reason: .nonFinite(tensor: "w", elementIndex: 33))) {
            try checkpoint.stream(rejectNonFinite: true)
        }
    }

    // MARK: LoRA

    static let loraTensors: [(String, [Int])] = [
        ("base_model.model.layer.q_proj.lora_A.weight", [4, 6]), ("base_model.model.layer.q_proj.lora_B.weight", [5, 4]),
    ]

    @Test func dora_isRejectedAsUnsupported() throws {
        let dir = try TemporaryDirectory()
        let root = try CheckpointBuilder.lora(in: dir, config: ["r": 4, "lora_alpha": 8, "use_dora": true], tensors: Self.loraTensors)
        guard case .unsupportedAdapter(let detail) = try reason(root) else { Issue.record("expected unsupportedAdapter"); return }
        #expect(detail.contains("DoRA"))
    }

    @Test func doraMagnitudeTensor_isRejectedEvenWithoutTheFlag() throws {
        let dir = try TemporaryDirectory()
        let root = try CheckpointBuilder.lora(in: dir, config: ["r": 4, "lora_alpha": 8],
                                              tensors: Self.loraTensors + [("base_model.model.layer.q_proj.lora_magnitude_vector", [5])])
        guard case .unsupportedAdapter(let detail) = try reason(root) else { Issue.record("expected unsupportedAdapter"); return }
        #expect(detail.contains("DoRA"))
    }

    @Test func unpairedFactor_isRejected() throws {
        let dir = try TemporaryDirectory()
        let root = try CheckpointBuilder.lora(in: dir, config: ["r": 4, "lora_alpha": 8], tensors: [Self.loraTensors[0]])
        #expect(try reason(root) == .unpairedLoRA(module: "layer.q_proj", missing: "lora_B.weight"))
    }

    @Test func rankDisagreeingWithConfig_isRejected() throws {
        let dir = try TemporaryDirectory()
        let root = try CheckpointBuilder.lora(in: dir, config: ["r": 8, "lora_alpha": 8], tensors: Self.loraTensors)
        guard case .invalidLoRAShape(module: "layer.q_proj", let detail) = try reason(root) else { Issue.record("expected invalidLoRAShape"); return }
        #expect(detail.contains("configured rank is 8"))
    }

    @Test func adapterConfigWithoutRank_isRejected() throws {
        let dir = try TemporaryDirectory()
        let root = try CheckpointBuilder.lora(in: dir, config: ["lora_alpha": 8], tensors: Self.loraTensors)
        #expect(try reason(root) == .invalidAdapterConfig(key: "r", detail: "must be a positive integer"))
    }

    @Test func nonLoRAPeftType_isRejected() throws {
        let dir = try TemporaryDirectory()
        let root = try CheckpointBuilder.lora(in: dir, config: ["peft_type": "IA3", "r": 4, "lora_alpha": 8], tensors: Self.loraTensors)
        guard case .unsupportedAdapter = try reason(root) else { Issue.record("expected unsupportedAdapter"); return }
    }
}
