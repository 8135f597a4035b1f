#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemCalls

/// A validated checkpoint: every tensor of a single-file, sharded or LoRA checkpoint,
/// found by name, with its files held open for reading (`pread`, never mapped).
///
/// Opening validates every header, the index and the adapter config, and checks that
/// the weight files stay inside the directory; it reads no tensor data.
public final class Checkpoint: Sendable {
    /// Where a tensor lives.
    public struct Location: Sendable {
        public let file: SafeTensorsFile
        public let tensor: TensorInfo
    }

    /// The directory (or, for ``CheckpointLayout/file``, the file) opened.
    public let path: String
    public let layout: CheckpointLayout
    /// Weight files, sorted by name for sharded checkpoints.
    public let files: [SafeTensorsFile]
    /// Each of ``files``' name in the checkpoint directory, as the layout names it
    /// (`model.safetensors`, the index's shard names, `adapter_model.safetensors`; the
    /// file's own name for ``CheckpointLayout/file``). A weight file reached through a
    /// symlink keeps the link's name here, while its ``SafeTensorsFile/path`` is the
    /// resolved one.
    public let fileNames: [String]
    /// The adapter, for ``CheckpointLayout/lora``.
    public let adapter: LoRAAdapter?
    /// Tensor names in fingerprint order (byte-wise UTF-8).
    public let tensorNames: [String]
    private let locations: [String: Location]

    /// Opens the checkpoint at `path`: a Hugging Face directory or a bare `.safetensors` file.
    public static func open(_ path: String) throws(CheckpointError) -> Checkpoint {
        var info = stat()
        do { try Syscall.retrying("stat", path: path) { stat(path, &info) } } catch {
            if error.errno == ENOENT { throw CheckpointError(checkpoint: path, reason: .notACheckpoint(detail: "no such file or directory")) }
            throw CheckpointError(checkpoint: path, reason: .system(error))
        }
        if (info.st_mode & S_IFMT) == S_IFREG {
            return try Checkpoint(path: path, layout: .file, files: [openFile(path, checkpoint: path)],
                                  names: [AtomicDirectory.split(path).name], adapter: nil)
        }
        guard let layout = CheckpointLayout.detect(directory: path) else {
            throw CheckpointError(checkpoint: path, reason: .notACheckpoint(detail: weightlessReason(path)))
        }
        let dir = path.hasSuffix("/") ? path : path + "/"
        switch layout {
        case .single:
            try requireConfig(dir + "config.json", checkpoint: path)
            let file = try ContainedPath.resolve("model.safetensors", in: path, checkpoint: path)
            return try Checkpoint(path: path, layout: .single, files: [openFile(file, checkpoint: path)],
                                  names: ["model.safetensors"], adapter: nil)
        case .sharded:
            try requireConfig(dir + "config.json", checkpoint: path)
            return try openSharded(path)
        case .lora:
            let config = try LoRAConfig(json: SmallFile.json(dir + "adapter_config.json", name: "adapter_config.json", checkpoint: path) {
                .invalidAdapterConfig(key: "(file)", detail: $0)
            }, checkpoint: path)
            guard SmallFile.exists(dir + "adapter_model.safetensors") else {
                let detail = SmallFile.exists(dir + "adapter_model.bin")
                    ? "adapter_model.bin is a pickle; save the adapter with safe_serialization=True"
                    : "adapter_model.safetensors is missing"
                throw CheckpointError(checkpoint: path, reason: .notACheckpoint(detail: detail))
            }
            let file = try openFile(ContainedPath.resolve("adapter_model.safetensors", in: path, checkpoint: path), checkpoint: path)
            let adapter = try LoRAAdapter(config: config, file: file, checkpoint: path)
            return try Checkpoint(path: path, layout: .lora, files: [file], names: ["adapter_model.safetensors"], adapter: adapter)
        case .file:
            preconditionFailure("detect never returns .file")
        }
    }

    /// `config.json` must be there and be a regular file (or a symlink to one). It is
    /// not read here, only `stat`ed: a FIFO in its place would block whoever reads it
    /// next (the tokenizer and config readers, a restore's copy), so it is refused now.
    private static func requireConfig(_ config: String, checkpoint: String) throws(CheckpointError) {
        guard SmallFile.exists(config) else { throw CheckpointError(checkpoint: checkpoint, reason: .missingConfig) }
        let kind: FileKind
        do { kind = try FileSystem.fileKind(config) } catch {
            // A dangling symlink: there is no config to read.
            if error.errno == ENOENT { throw CheckpointError(checkpoint: checkpoint, reason: .missingConfig) }
            throw CheckpointError(checkpoint: checkpoint, reason: .system(error))
        }
        guard kind == .regular else {
            throw CheckpointError(checkpoint: checkpoint, reason: .system(.notARegularFile(path: config, kind: kind)))
        }
    }

    private static func weightlessReason(_ path: String) -> String {
        let dir = path.hasSuffix("/") ? path : path + "/"
        if SmallFile.exists(dir + "pytorch_model.bin") || SmallFile.exists(dir + "pytorch_model.bin.index.json") {
            return "weights are PyTorch pickles (pytorch_model.bin); save with safe_serialization=True"
        }
        return "no model.safetensors, model.safetensors.index.json or adapter_config.json"
    }

    private static func openFile(_ path: String, checkpoint: String) throws(CheckpointError) -> SafeTensorsFile {
        do { return try SafeTensorsFile(path: path) } catch {
            if case .system(let failure) = error.reason, failure.errno == ENOENT {
                throw CheckpointError(checkpoint: checkpoint, reason: .missingFile(file: path))
            }
            throw CheckpointError(checkpoint: checkpoint, reason: .file(error))
        }
    }

    private static func openSharded(_ path: String) throws(CheckpointError) -> Checkpoint {
        func invalid(_ detail: String) -> CheckpointError { CheckpointError(checkpoint: path, reason: .invalidIndex(detail: detail)) }
        let dir = path.hasSuffix("/") ? path : path + "/"
        let index = try SmallFile.json(dir + "model.safetensors.index.json", name: "model.safetensors.index.json", checkpoint: path) {
            .invalidIndex(detail: $0)
        }
        guard let root = index.object else { throw invalid("is \(index.kindName), not an object") }
        guard let mapValue = root["weight_map"] else { throw invalid("has no \"weight_map\"") }
        guard let map = mapValue.object else { throw invalid("\"weight_map\" is \(mapValue.kindName), not an object") }
        guard map.count > 0 else { throw invalid("\"weight_map\" is empty") }

        var shardOrder: [String] = []
        var expected: [String: String] = [:]  // tensor → shard
        for (tensor, value) in map.members {
            guard let shard = value.string else { throw invalid("weight_map[\"\(tensor)\"] is \(value.kindName), not a file name") }
            if !shardOrder.contains(shard) {
                shardOrder.append(shard)
            }
            expected[tensor] = shard
        }
        shardOrder.sort()  // save_pretrained's names sort in shard order
        var files: [SafeTensorsFile] = []
        for shard in shardOrder {
            let resolved = try ContainedPath.resolve(shard, in: path, checkpoint: path)
            let file = try openFile(resolved, checkpoint: path)
            for tensor in file.tensors where expected[tensor.name] != shard {
                if let other = expected[tensor.name] {
                    throw CheckpointError(checkpoint: path, reason: .duplicateTensor(tensor: tensor.name, files: [other, shard]))
                }
                throw CheckpointError(checkpoint: path, reason: .tensorNotIndexed(tensor: tensor.name, shard: shard))
            }
            files.append(file)
        }
        for (tensor, shard) in expected {
            let file = files[shardOrder.firstIndex(of: shard)!]
            guard file.tensor(named: tensor) != nil else {
                throw CheckpointError(checkpoint: path, reason: .tensorNotInShard(tensor: tensor, shard: shard))
            }
        }
        return try Checkpoint(path: path, layout: .sharded, files: files, names: shardOrder, adapter: nil)
    }

    private init(path: String, layout: CheckpointLayout, files: [SafeTensorsFile], names: [String],
                 adapter: LoRAAdapter?) throws(CheckpointError) {
        var locations: [String: Location] = [:]
        for file in files {
            for tensor in file.tensors {
                if let previous = locations[tensor.name] {
                    throw CheckpointError(checkpoint: path, reason: .duplicateTensor(tensor: tensor.name, files: [previous.file.path, file.path]))
                }
                locations[tensor.name] = Location(file: file, tensor: tensor)
            }
        }
        self.path = path
        self.layout = layout
        self.files = files
        self.fileNames = names
        self.adapter = adapter
        self.locations = locations
        self.tensorNames = locations.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Where tensor `name` is stored, or nil.
    public func location(of name: String) -> Location? { locations[name] }

    /// Every tensor's entry, in fingerprint order.
    public var tensors: [TensorInfo] { tensorNames.map { locations[$0]!.tensor } }

    /// Sum of the weight files' sizes, headers included.
    public var fileBytes: Int { files.reduce(0) { $0 + $1.fileSize } }

    /// The string metadata of the (first) weight file.
    public var metadata: [String: String] { files.first?.metadata ?? [:] }
}
