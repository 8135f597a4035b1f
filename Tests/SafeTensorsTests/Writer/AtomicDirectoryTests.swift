import Foundation
import Testing
@testable import SafeTensors

@Suite struct AtomicDirectoryTests {
    @Test func mirroredShardedCheckpoint_publishesCompleteAndIdentical() throws {
        let dir = try TemporaryDirectory()
        let source = try Checkpoint.open(try CheckpointBuilder.sharded(in: dir))
        let output = AtomicDirectory.split(dir.file("out/restored/ckpt")).parent + "/ckpt"
        let atomic = try AtomicDirectory(destination: output)
        #expect(!FileManager.default.fileExists(atPath: output))
        try CheckpointWriter.write(ShardPlan.mirroring(source), into: atomic) { spec, writer in
            let location = source.location(of: spec.name)!
            try writer.copy(location.tensor, from: location.file)
        }
        try atomic.copyFile(from: source.path + "/config.json", as: "config.json")
        #expect(!FileManager.default.fileExists(atPath: output), "nothing visible before publish")
        try atomic.publish()
        let copy = try Checkpoint.open(output)
        #expect(copy.layout == .sharded)
        #expect(copy.files.map { AtomicDirectory.split($0.path).name } == source.files.map { AtomicDirectory.split($0.path).name })
        #expect(try copy.fingerprint() == source.fingerprint())
        #expect(!FileManager.default.fileExists(atPath: atomic.temporary))
    }

    @Test func mirroredShardReachedThroughASymlink_keepsTheIndexName() throws {
        let dir = try TemporaryDirectory()
        let root = try CheckpointBuilder.sharded(in: dir)
        let (first, second) = (CheckpointMalformedTests.first, CheckpointMalformedTests.second)
        try FileManager.default.moveItem(atPath: root + "/" + second, toPath: root + "/blob-2f1c")
        try FileManager.default.createSymbolicLink(atPath: root + "/" + second, withDestinationPath: "blob-2f1c")
        let source = try Checkpoint.open(root)
        #expect(source.fileNames == [first, second])
        #expect(source.files[1].path.hasSuffix("/blob-2f1c"), "the file itself is the link's target")
        #expect(ShardPlan.mirroring(source).shards.map(\.file) == [first, second])

        let atomic = try AtomicDirectory(destination: dir.file("out"))
        try CheckpointWriter.write(ShardPlan.mirroring(source), into: atomic) { spec, writer in
            let location = source.location(of: spec.name)!
            try writer.copy(location.tensor, from: location.file)
        }
        try atomic.copyFile(from: root + "/config.json", as: "config.json")
        try atomic.publish()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("out")).sorted()
                == ["config.json", first, second, "model.safetensors.index.json"])
        let copy = try Checkpoint.open(dir.file("out"))
        #expect(copy.fileNames == [first, second])
        #expect(try copy.fingerprint() == source.fingerprint())
    }

    @Test func fileNames_areTheLayoutsNames() throws {
        let dir = try TemporaryDirectory()
        let single = try dir.directory("single")
        try CheckpointBuilder.writeFile(single + "/weights.bin", [("a.weight", [2])])
        try FileManager.default.createSymbolicLink(atPath: single + "/model.safetensors", withDestinationPath: "weights.bin")
        try Data("{}".utf8).write(to: URL(fileURLWithPath: single + "/config.json"))
        #expect(try Checkpoint.open(single).fileNames == ["model.safetensors"])
        #expect(try ShardPlan.mirroring(Checkpoint.open(single)).shards.map(\.file) == ["model.safetensors"])
        #expect(try Checkpoint.open(single + "/weights.bin").fileNames == ["weights.bin"])
        let adapter = try CheckpointBuilder.lora(in: dir, config: ["r": 4, "lora_alpha": 8], tensors: CheckpointMalformedTests.loraTensors)
        #expect(try Checkpoint.open(adapter).fileNames == ["adapter_model.safetensors"])
    }

    @Test func existingDestination_isNeverReplaced() throws {
        let dir = try TemporaryDirectory()
        try dir.directory("out")
        #expect(throws: SafeTensorsError.self) { try AtomicDirectory(destination: dir.file("out")) }
        // A destination that appears while the temporary is being written is not replaced either.
        let atomic = try AtomicDirectory(destination: dir.file("late"))
        try dir.directory("late")
        #expect(throws: SafeTensorsError.self) { try atomic.publish() }
        atomic.abandon()
        #expect(!FileManager.default.fileExists(atPath: atomic.temporary))
    }

    @Test func staleTemporaryOfDeadProcess_isRemoved_liveOneKept() throws {
        let dir = try TemporaryDirectory()
        let dead = dir.file(".ckpt.retaind-tmp-999999999-0")  // no such pid
        let mine = try AtomicDirectory(destination: dir.file("ckpt"))
        try dir.directory(".ckpt.retaind-tmp-999999999-0/sub")
        AtomicDirectory.removeStaleTemporaries(for: dir.file("ckpt"))
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: mine.temporary), "the running process's own temporary stays")
    }

    @Test func writer_refusesWrongSizesAndUnfinishedTensors() throws {
        let dir = try TemporaryDirectory()
        let writer = try SafeTensorsWriter(path: dir.file("w.safetensors"), tensors: [TensorSpec(name: "w", dtype: .f32, shape: [2])])
        let three: [Float] = [1, 2, 3]
        #expect(throws: SafeTensorsError.self) { try three.withUnsafeBufferPointer { try writer.append($0) } }
        let one: [Float] = [1]
        try one.withUnsafeBufferPointer { try writer.append($0) }
        #expect(throws: SafeTensorsError(path: dir.file("w.safetensors"), reason: .sizeMismatch(tensor: "w", expectedBytes: 8, actualBytes: 4))) {
            try writer.finish()
        }
    }
}
