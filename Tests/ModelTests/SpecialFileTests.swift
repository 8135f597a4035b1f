import Foundation
import Model
import TestSupport
import Testing

/// A FIFO (or socket, device) where config.json or tokenizer.json should be is refused
/// at once, naming it, never read: each call runs on a thread of its own with a one-second
/// deadline, so a regression fails instead of hanging the suite.
@Suite final class SpecialFileTests {
    let directory = NSTemporaryDirectory() + "retaind-model-fifo-" + UUID().uuidString

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func refusal<T: Sendable>(_ fifo: String, _ body: @escaping @Sendable () throws -> T) -> ModelError? {
        let result = SpecialFiles.finish(within: 1, onTimeout: { SpecialFiles.unblock(fifo: fifo) }, body)
        guard let result else {
            Issue.record("blocked on the FIFO \(fifo)")
            return nil
        }
        guard case .failure(let error) = result, let refusal = error as? ModelError else {
            Issue.record("expected a ModelError, got \(result)")
            return nil
        }
        return refusal
    }

    @Test func fifoAsConfigOrTokenizer_isRefusedAtOnce() throws {
        let config = directory + "/config.json", tokenizer = directory + "/tokenizer.json"
        try SpecialFiles.fifo(config)
        try SpecialFiles.fifo(tokenizer)
        let directory = self.directory
        let configError = refusal(config) { try LlamaConfig.load(directory: directory) }
        #expect(configError == ModelError(path: config, .unreadableFile, "cannot read config.json: not a regular file (a FIFO)"))
        let tokenizerError = refusal(tokenizer) { try BPETokenizer(directory: directory) }
        #expect(tokenizerError == ModelError(path: tokenizer, .unreadableFile, "cannot read tokenizer.json: not a regular file (a FIFO)"))
    }

    @Test func fifoAsTheConfigOfAModel_isRefusedWhenTheCheckpointOpens() throws {
        let base = PythonScript.repositoryRoot + "/Tests/Fixtures/tiny-llama/base"
        try FileManager.default.copyItem(atPath: base + "/model.safetensors", toPath: directory + "/model.safetensors")
        try SpecialFiles.fifo(directory + "/config.json")
        let directory = self.directory
        let error = refusal(directory + "/config.json") { _ = try LlamaModel(directory: directory) }
        #expect(error?.code == .invalidCheckpoint)
        #expect(error?.message.contains("config.json is not a regular file (a FIFO)") == true, "\(String(describing: error))")
    }

    @Test func missingConfig_stillSaysSo() {
        #expect(throws: ModelError(path: directory + "/config.json", .unreadableFile, "cannot read config.json: No such file or directory")) {
            try LlamaConfig.load(directory: directory)
        }
    }
}
