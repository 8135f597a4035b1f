import Foundation
import Testing
import TestSupport
@testable import SafeTensors

/// Which files beside the weights a restored checkpoint carries, and how they are copied.
@Suite struct SideFilesTests {
    @Test(arguments: ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                      "added_tokens.json", "tokenizer.model", "vocab.json", "vocab.txt", "merges.txt", "spiece.model",
                      "chat_template.jinja", "chat_template.json", "README.md", "adapter_config.json", "preprocessor_config.json",
                      "configuration_llama.py", "modeling_my-model.py", "tokenization_qwen2.py"])
    func modelSideFiles_areCopied(name: String) {
        #expect(SideFiles.isSideFile(name))
    }

    @Test(arguments: ["optimizer.pt", "optimizer.bin", "scheduler.pt", "rng_state_0.pth", "rng_state.pth", "trainer_state.json",
                      "training_args.bin", "scaler.pt", "model.safetensors", "model.safetensors.index.json", "retaind.json",
                      "pytorch_model.bin", "zero_to_fp32.py", "latest", ".config.json", "config.json.tmp", "chat_template.",
                      "modeling_.py", "modeling_x\n.py", "chat_template.\u{1b}[2J", "README.md~", "eval_results.json"])
    func everythingElse_isLeftOut(name: String) {
        #expect(!SideFiles.isSideFile(name))
    }

    @Test func copy_followsSymlinksInside_warnsOnEscapesAndSpecialFiles_andKeepsShardNames() throws {
        let dir = try TemporaryDirectory("rt")
        let root = try CheckpointBuilder.sharded(in: dir)
        let second = CheckpointMalformedTests.second
        try FileManager.default.moveItem(atPath: root + "/" + second, toPath: root + "/blob-2f1c")
        try FileManager.default.createSymbolicLink(atPath: root + "/" + second, withDestinationPath: "blob-2f1c")
        try Data("tok".utf8).write(to: URL(fileURLWithPath: root + "/tokenizer.json"))
        try Data(repeating: 1, count: 100).write(to: URL(fileURLWithPath: root + "/optimizer.pt"))
        try FileManager.default.createSymbolicLink(atPath: root + "/README.md", withDestinationPath: "/etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: root + "/vocab.json", withDestinationPath: "missing.json")
        try FileManager.default.createSymbolicLink(atPath: root + "/merges.txt", withDestinationPath: "/dev/null")
        try FileManager.default.createSymbolicLink(atPath: root + "/added_tokens.json", withDestinationPath: "../" + (root as NSString).lastPathComponent + "/tokenizer.json")
        try SpecialFiles.fifo(root + "/chat_template.jinja")
        let socket = try SpecialFiles.socket(root + "/special_tokens_map.json")
        defer { close(socket) }
        try FileManager.default.createDirectory(atPath: root + "/generation_config.json", withIntermediateDirectories: false)

        let source = try Checkpoint.open(root)
        #expect(source.fileNames == [CheckpointMalformedTests.first, second])
        let atomic = try AtomicDirectory(destination: dir.file("out"))
        try CheckpointWriter.write(ShardPlan.mirroring(source), into: atomic) { spec, writer in
            let location = source.location(of: spec.name)!
            try writer.copy(location.tensor, from: location.file)
        }
        let result = SpecialFiles.finish(within: 1, onTimeout: { SpecialFiles.unblock(fifo: root + "/chat_template.jinja") }) {
            try atomic.copySideFiles(of: source)
        }
        guard case .success(let copy)? = result else {
            Issue.record("copySideFiles blocked or failed: \(String(describing: result))")
            return
        }
        try atomic.publish()
        #expect(copy.copied == ["added_tokens.json", "config.json", "tokenizer.json"])
        #expect(copy.warnings == [
            "side file README.md not copied: it resolves to /etc/passwd, outside the checkpoint",
            "side file chat_template.jinja not copied: not a regular file (a FIFO)",
            "side file generation_config.json not copied: not a regular file (a directory)",
            "side file merges.txt not copied: it resolves to /dev/null, outside the checkpoint",
            "side file special_tokens_map.json not copied: not a regular file (a socket)",
            "side file vocab.json not copied: it is missing (a dangling symlink, or deleted meanwhile)",
        ])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("out")).sorted()
                == ["added_tokens.json", "config.json", CheckpointMalformedTests.first, second, "model.safetensors.index.json", "tokenizer.json"])
        #expect(FileManager.default.contents(atPath: dir.file("out/added_tokens.json")) == Data("tok".utf8))
        let copyOfSource = try Checkpoint.open(dir.file("out"))
        #expect(try copyOfSource.fingerprint() == source.fingerprint())
    }

    @Test func oversizedSideFile_isLeftOutWithAWarning() throws {
        let dir = try TemporaryDirectory()
        let root = try CheckpointBuilder.sharded(in: dir)
        let handle = try #require(FileHandle(forWritingAtPath: root + "/config.json"))
        try handle.truncate(atOffset: UInt64(SideFiles.sizeLimit + 1))  // sparse: no 64 MiB written
        try handle.close()
        let atomic = try AtomicDirectory(destination: dir.file("out"))
        defer { atomic.abandon() }
        let copy = try atomic.copySideFiles(of: Checkpoint.open(root))
        #expect(copy.copied.isEmpty)
        #expect(copy.warnings == ["side file config.json not copied: it is 67108865 bytes, over the 67108864-byte limit for side files"])
    }
}
