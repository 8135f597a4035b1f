import Foundation
import SafeTensors
import Testing

/// What a watcher may treat as finished writing: judged from names, sizes and headers.
struct CheckpointCompletenessTests {
    let directory = NSTemporaryDirectory() + "retaind-complete-" + UUID().uuidString

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + name))
    }

    func safetensors(dataBytes: Int, written: Int? = nil) -> [UInt8] {
        let header = Array(#"{"w":{"dtype":"F32","shape":[\#(dataBytes / 4)],"data_offsets":[0,\#(dataBytes)]}}"#.utf8)
        let full = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header + [UInt8](repeating: 0, count: dataBytes)
        return Array(full.prefix(written ?? full.count))
    }

    @Test func emptyOrWeightlessDirectory_hasNoWeights() throws {
        #expect(CheckpointCompleteness.of(directory: directory) == .noWeights)
        try write("tokenizer.json", Array("{}".utf8))
        #expect(CheckpointCompleteness.of(directory: directory) == .noWeights)
    }

    @Test func singleFile_growsFromShortToComplete() throws {
        let full = safetensors(dataBytes: 64)
        try write("model.safetensors", Array(full.prefix(4)))
        #expect(CheckpointCompleteness.of(directory: directory) == .missing(file: "config.json"))
        try write("config.json", Array("{}".utf8))
        #expect(CheckpointCompleteness.of(directory: directory) == .short(file: "model.safetensors", size: 4, expected: nil))
        try write("model.safetensors", Array(full.prefix(30)))
        #expect(CheckpointCompleteness.of(directory: directory) == .short(file: "model.safetensors", size: 30, expected: nil))
        try write("model.safetensors", Array(full.prefix(full.count - 1)))
        #expect(CheckpointCompleteness.of(directory: directory) == .short(file: "model.safetensors", size: full.count - 1, expected: full.count))
        try write("model.safetensors", full)
        #expect(CheckpointCompleteness.of(directory: directory) == .complete)
    }

    @Test func malformedFiles_areHandedOnNotWaitedFor() throws {
        try write("config.json", Array("{}".utf8))
        try write("model.safetensors", Array("garbage!{not json at all".utf8))
        #expect(CheckpointCompleteness.of(directory: directory) == .complete)
        try write("model.safetensors", safetensors(dataBytes: 8) + [1, 2, 3])
        #expect(CheckpointCompleteness.of(directory: directory) == .complete, "longer than declared is the reader's to reject")
    }

    @Test func shardedCheckpoint_waitsForEveryShardTheIndexNames() throws {
        try write("config.json", Array("{}".utf8))
        try write("model.safetensors.index.json", Array(#"{"weight_map":{"a":"model-1.safetensors","b":"model-2.safetensors"}}"#.utf8))
        try write("model-1.safetensors", safetensors(dataBytes: 16))
        #expect(CheckpointCompleteness.of(directory: directory) == .missing(file: "model-2.safetensors"))
        try write("model-2.safetensors", safetensors(dataBytes: 16, written: 20))
        #expect(CheckpointCompleteness.of(directory: directory) == .short(file: "model-2.safetensors", size: 20, expected: nil))
        try write("model-2.safetensors", safetensors(dataBytes: 16))
        #expect(CheckpointCompleteness.of(directory: directory) == .complete)
    }

    @Test func loraAdapter_needsItsWeights() throws {
        try write("adapter_config.json", Array("{}".utf8))
        #expect(CheckpointCompleteness.of(directory: directory) == .missing(file: "adapter_model.safetensors"))
        try write("adapter_model.safetensors", safetensors(dataBytes: 8))
        #expect(CheckpointCompleteness.of(directory: directory) == .complete)
    }
}
