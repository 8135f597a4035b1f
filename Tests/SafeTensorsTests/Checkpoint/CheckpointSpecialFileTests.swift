import Foundation
import Testing
import TestSupport
@testable import SafeTensors
import SystemCalls

/// Anyone who can write a watched directory can put a FIFO, a socket or a device where a
/// checkpoint's file should be. Whatever the role of the file, opening the checkpoint and
/// judging its completeness return at once, and the checkpoint is refused naming the file
/// and what it is. Every call runs on a thread of its own with a deadline, so that a
/// regression fails here instead of hanging the suite.
@Suite struct CheckpointSpecialFileTests {
    /// A file of a checkpoint, and the layout it plays its role in.
    enum Role: String, CaseIterable, CustomTestStringConvertible {
        case singleWeights = "model.safetensors"
        case shard = "model-00002-of-00002.safetensors"
        case index = "model.safetensors.index.json"
        case config = "config.json"
        case shardedConfig = "config.json (sharded)"
        case adapterConfig = "adapter_config.json"
        case adapterWeights = "adapter_model.safetensors"

        var testDescription: String { rawValue }
        var fileName: String { self == .shardedConfig ? "config.json" : rawValue }

        /// A valid checkpoint of the role's layout.
        func checkpoint(in dir: TemporaryDirectory) throws -> String {
            switch self {
            case .singleWeights, .config:
                let root = try dir.directory("ckpt")
                try CheckpointBuilder.writeFile(root + "/model.safetensors", [("a.weight", [2, 3])])
                try Data("{}".utf8).write(to: URL(fileURLWithPath: root + "/config.json"))
                return root
            case .shard, .index, .shardedConfig:
                return try CheckpointBuilder.sharded(in: dir)
            case .adapterConfig, .adapterWeights:
                return try CheckpointBuilder.lora(in: dir, config: ["r": 4, "lora_alpha": 8], tensors: CheckpointMalformedTests.loraTensors)
            }
        }
    }

    /// `body` on a thread with a one-second deadline; a timeout unblocks `fifo` and fails.
    func quickly<T: Sendable>(_ what: String, fifo: String, _ body: @escaping @Sendable () throws -> T) -> Result<T, any Error>? {
        let started = Date()
        let result = SpecialFiles.finish(within: 1, onTimeout: { SpecialFiles.unblock(fifo: fifo) }, body)
        if result == nil { Issue.record("\(what) blocked on the FIFO \(fifo)") }
        #expect(Date().timeIntervalSince(started) < 1.5)
        return result
    }

    /// The refusal of a checkpoint whose `name` is `kind`: a CheckpointError naming the file and what it is.
    func expectRefused(_ root: String, name: String, kind: FileKind, fifo: String) {
        guard let result = quickly("Checkpoint.open", fifo: fifo, { try Checkpoint.open(root) }) else { return }
        guard case .failure(let error) = result, let refusal = error as? CheckpointError else {
            Issue.record("\(name) as \(kind): expected a CheckpointError, got \(result)")
            return
        }
        #expect(refusal.checkpoint == root)
        #expect(refusal.description.contains(name), "\(refusal)")
        #expect(refusal.description.contains("not a regular file (\(kind))"), "\(refusal)")
        #expect(refusal.isCheckpointFault)
    }

    @Test(arguments: Role.allCases)
    func fifoInAnyRole_isRefusedAtOnce_namingIt(role: Role) throws {
        let dir = try TemporaryDirectory()
        let root = try role.checkpoint(in: dir)
        #expect(throws: Never.self, "the checkpoint is valid before the FIFO") { _ = try Checkpoint.open(root) }
        let fifo = root + "/" + role.fileName
        try FileManager.default.removeItem(atPath: fifo)
        try SpecialFiles.fifo(fifo)

        #expect(CheckpointLayout.detect(directory: root) != nil, "a FIFO in the layout's name keeps the layout detectable")
        expectRefused(root, name: role.fileName, kind: .fifo, fifo: fifo)
        let completeness = quickly("CheckpointCompleteness.of", fifo: fifo) { CheckpointCompleteness.of(directory: root) }
        #expect(try completeness?.get() == .complete, "handed on to the reader, which refuses it, rather than waited on")
    }

    @Test func fifoNamedModelSafetensors_makesTheLayoutSingle_andTheReaderSaysWhy() throws {
        let dir = try TemporaryDirectory()
        let root = try dir.directory("ckpt")
        try Data("{}".utf8).write(to: URL(fileURLWithPath: root + "/config.json"))
        try SpecialFiles.fifo(root + "/model.safetensors")
        #expect(CheckpointLayout.detect(directory: root) == .single)
        guard case .failure(let error)? = quickly("Checkpoint.open", fifo: root + "/model.safetensors", { try Checkpoint.open(root) }),
              let refusal = error as? CheckpointError, case .file(let file) = refusal.reason else {
            Issue.record("expected a file error")
            return
        }
        #expect(file.path.hasSuffix("/ckpt/model.safetensors"))
        #expect(file.reason == .system(.notARegularFile(path: nil, kind: .fifo)))
        #expect(file.description == "\(file.path): not a regular file (a FIFO); a safetensors file must be a regular file (or a symlink to one)")
    }

    @Test func socketAsWeights_andSymlinkToAFIFOAsShard_areRefused() throws {
        let dir = try TemporaryDirectory("rt")  // short: a socket path must fit sun_path
        let single = try dir.directory("s")
        try Data("{}".utf8).write(to: URL(fileURLWithPath: single + "/config.json"))
        let socket = try SpecialFiles.socket(single + "/model.safetensors")
        defer { close(socket) }
        expectRefused(single, name: "model.safetensors", kind: .socket, fifo: single + "/model.safetensors")

        let sharded = try CheckpointBuilder.sharded(in: dir)
        let shard = sharded + "/" + CheckpointMalformedTests.second
        try FileManager.default.removeItem(atPath: shard)
        try SpecialFiles.fifo(sharded + "/pipe")
        try FileManager.default.createSymbolicLink(atPath: shard, withDestinationPath: "pipe")
        expectRefused(sharded, name: "pipe", kind: .fifo, fifo: sharded + "/pipe")
        #expect(CheckpointCompleteness.of(directory: sharded) == .complete)
    }

    @Test func configThatIsADirectoryOrDangling() throws {
        let dir = try TemporaryDirectory()
        let root = try Role.config.checkpoint(in: dir)
        try FileManager.default.removeItem(atPath: root + "/config.json")
        try FileManager.default.createDirectory(atPath: root + "/config.json", withIntermediateDirectories: false)
        expectRefused(root, name: "config.json", kind: .directory, fifo: root + "/config.json")
        try FileManager.default.removeItem(atPath: root + "/config.json")
        try FileManager.default.createSymbolicLink(atPath: root + "/config.json", withDestinationPath: "nowhere.json")
        #expect(throws: CheckpointError(checkpoint: root, reason: .missingConfig)) { try Checkpoint.open(root) }
    }

    @Test func safeTensorsFileAndCopy_refuseAFIFOAtOnce() throws {
        let dir = try TemporaryDirectory()
        let fifo = dir.file("weights.safetensors")
        try SpecialFiles.fifo(fifo)
        guard case .failure(let error)? = quickly("SafeTensorsFile", fifo: fifo, { try SafeTensorsFile(path: fifo) }) else {
            Issue.record("a FIFO was opened as a safetensors file")
            return
        }
        #expect(error as? SafeTensorsError == SafeTensorsError(path: fifo, reason: .system(.notARegularFile(path: nil, kind: .fifo))))

        let atomic = try AtomicDirectory(destination: dir.file("out"))
        defer { atomic.abandon() }
        guard case .failure(let copyError)? = quickly("copyFile", fifo: fifo, { try atomic.copyFile(from: fifo, as: "x") }) else {
            Issue.record("a FIFO was copied")
            return
        }
        #expect((copyError as? SafeTensorsError)?.reason == .system(.notARegularFile(path: fifo, kind: .fifo)))
        #expect(!FileManager.default.fileExists(atPath: atomic.path("x")))
    }
}
