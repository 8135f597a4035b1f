import Foundation
import Testing
import TestSupport
import SafeTensors
@testable import Retention

/// What a restored checkpoint carries besides its weights: the model's side files, never
/// training state; a side file leading out of the checkpoint or that is not a regular
/// file is left out with a warning; shard names are the index's.
@Suite(.serialized) struct RestoreSideFilesTests {
    static let fixtures = PythonScript.repositoryRoot + "/Tests/Fixtures/tiny-llama/"

    /// Restores `candidate` (α = 10, γ = 10, F32) on a thread with a deadline, so a side
    /// file that blocks fails the test instead of hanging it.
    static func restore(_ candidate: String, unblocking fifo: String? = nil) throws -> RestoreReport {
        let destination = try Fixtures.temporaryDirectory() + "/restored"
        let result = SpecialFiles.finish(within: 120, onTimeout: { fifo.map { SpecialFiles.unblock(fifo: $0) } }) {
            try Restore.run(candidate: Checkpoint.open(candidate), base: Checkpoint.open(RestoreTests.base),
                            retain: RetainProfile.read(RestoreTests.retain), forget: RetainProfile.read(RestoreTests.forget),
                            options: RestoreOptions(alpha: 10, gamma: 10, outputDType: .float32), destination: destination)
        }
        guard let result else { throw RestoreBlocked() }
        return try result.get()
    }

    struct RestoreBlocked: Error {}

    static func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func files(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    @Test func trainingStateIsLeftOut_sideFilesCopied_escapesAndFIFOsWarned() throws {
        let candidate = try Fixtures.temporaryDirectory() + "/checkpoint-500"
        try FileManager.default.createDirectory(atPath: candidate + "/configs", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixtures + "cand-full/model.safetensors", toPath: candidate + "/model.safetensors")
        // config.json is a symlink that stays inside the checkpoint: followed, copied as a file.
        try FileManager.default.copyItem(atPath: Self.fixtures + "cand-full/config.json", toPath: candidate + "/configs/real-config.json")
        try FileManager.default.createSymbolicLink(atPath: candidate + "/config.json", withDestinationPath: "configs/real-config.json")
        // Training state, which a restored model has no use for.
        for name in ["optimizer.pt", "scheduler.pt", "rng_state_0.pth", "training_args.bin"] {
            try Data(repeating: 0xAB, count: 4096).write(to: URL(fileURLWithPath: candidate + "/" + name))
        }
        try Self.write(candidate + "/trainer_state.json", #"{"global_step": 500}"#)
        // Side files.
        try Self.write(candidate + "/tokenizer.json", #"{"model": {"type": "BPE"}}"#)
        try Self.write(candidate + "/generation_config.json", #"{"do_sample": false}"#)
        // A model card that is really /etc/passwd, and a chat template that is a FIFO.
        try FileManager.default.createSymbolicLink(atPath: candidate + "/README.md", withDestinationPath: "/etc/passwd")
        try SpecialFiles.fifo(candidate + "/chat_template.jinja")

        let report = try Self.restore(candidate, unblocking: candidate + "/chat_template.jinja")
        #expect(try Self.files(report.path) == ["config.json", "generation_config.json", "model.safetensors", "retaind.json", "tokenizer.json"])
        let config = report.path + "/config.json"
        #expect(try FileManager.default.attributesOfItem(atPath: config)[.type] as? FileAttributeType == .typeRegular)
        #expect(FileManager.default.contents(atPath: config) == FileManager.default.contents(atPath: Self.fixtures + "cand-full/config.json"))
        #expect(FileManager.default.contents(atPath: report.path + "/tokenizer.json") == Data(#"{"model": {"type": "BPE"}}"#.utf8))

        let sideFileWarnings = report.warnings.filter { $0.hasPrefix("side file ") }
        #expect(sideFileWarnings == [
            "side file README.md not copied: it resolves to /etc/passwd, outside the checkpoint",
            "side file chat_template.jinja not copied: not a regular file (a FIFO)",
        ])
        let provenance = try Provenance.read(directory: report.path)
        #expect(provenance.sideFiles == ["config.json", "generation_config.json", "tokenizer.json"])
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report.path + "/retaind.json"))) as! [String: Any]
        #expect(object["side_files"] as? [String] == ["config.json", "generation_config.json", "tokenizer.json"])

        // The numbers are those of the same weights restored from the plain fixture.
        let plain = try Self.restore(Self.fixtures + "cand-full")
        #expect(report.driftAfter == plain.driftAfter && report.updateKept == plain.updateKept && report.forgetKept == plain.forgetKept)
        #expect(try Checkpoint.open(report.path).fingerprint() == Checkpoint.open(plain.path).fingerprint())
        #expect(report.warnings.filter { !$0.hasPrefix("side file ") } == plain.warnings)
    }

    @Test func shardReachedThroughASymlink_keepsTheIndexName() throws {
        let candidate = try Fixtures.temporaryDirectory() + "/checkpoint-7"
        try FileManager.default.copyItem(atPath: Self.fixtures + "cand-sharded", toPath: candidate)
        let shard = "model-00002-of-00003.safetensors"
        try FileManager.default.createDirectory(atPath: candidate + "/blobs", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: candidate + "/" + shard, toPath: candidate + "/blobs/sha256-2f1c")
        try FileManager.default.createSymbolicLink(atPath: candidate + "/" + shard, withDestinationPath: "blobs/sha256-2f1c")
        #expect(try Checkpoint.open(candidate).fileNames
                == ["model-00001-of-00003.safetensors", shard, "model-00003-of-00003.safetensors"])

        let report = try Self.restore(candidate)
        #expect(try Self.files(report.path) == ["config.json", "model-00001-of-00003.safetensors", shard,
                                                 "model-00003-of-00003.safetensors", "model.safetensors.index.json", "retaind.json"])
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report.path + "/model.safetensors.index.json"))) as! [String: Any]
        let shards = Set((index["weight_map"] as! [String: String]).values)
        #expect(shards == ["model-00001-of-00003.safetensors", shard, "model-00003-of-00003.safetensors"])
        let written = try Checkpoint.open(report.path)
        #expect(written.fileNames == written.files.map { ($0.path as NSString).lastPathComponent })

        let plain = try Self.restore(Self.fixtures + "cand-sharded")
        #expect(report.driftAfter == plain.driftAfter)
        #expect(try written.fingerprint() == Checkpoint.open(plain.path).fingerprint())
        #expect(try Provenance.read(directory: report.path).sideFiles == ["config.json"])
    }

    @Test func adapterRestore_carriesItsAdapterConfig() throws {
        let report = try Self.restore(Self.fixtures + "cand-lora")
        #expect(try Self.files(report.path) == ["adapter_config.json", "adapter_model.safetensors", "retaind.json"])
        #expect(try Provenance.read(directory: report.path).sideFiles == ["adapter_config.json"])
    }

    @Test func provenanceWithoutSideFiles_stillReads() throws {
        let directory = try Fixtures.temporaryDirectory()
        try Self.write(directory + "/retaind.json", """
            {"alpha": 10, "base_fingerprint": "b", "drift": 0.5, "drift_after": 0.1, "gamma": 0, "mode": "alpha",
             "output_dtype": "F32", "retain_profile_proxy": "p", "retaind_version": "0.9", "source_fingerprint": "s",
             "source_path": "/runs/checkpoint-1", "time": "2026-01-01T00:00:00Z", "update_kept": 0.9}
            """)
        let provenance = try Provenance.read(directory: directory)
        #expect(provenance.sideFiles == nil)
        #expect(provenance.sourcePath == "/runs/checkpoint-1")
    }
}
