import SystemCalls

/// Why a checkpoint directory was refused, naming the directory and the file, tensor or
/// key involved.
public struct CheckpointError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The checkpoint directory (or file) that was opened.
    public let checkpoint: String
    public let reason: Reason

    public init(checkpoint: String, reason: Reason) {
        self.checkpoint = checkpoint
        self.reason = reason
    }

    /// What is wrong; each case names what to look at.
    public enum Reason: Sendable, Equatable {
        case notACheckpoint(detail: String)
        case missingConfig
        case unsafeFileName(file: String, detail: String)
        case missingFile(file: String)
        case invalidIndex(detail: String)
        case tensorNotInShard(tensor: String, shard: String)
        case tensorNotIndexed(tensor: String, shard: String)
        case duplicateTensor(tensor: String, files: [String])
        case invalidAdapterConfig(key: String, detail: String)
        case unsupportedAdapter(detail: String)
        case unpairedLoRA(module: String, missing: String)
        case invalidLoRAShape(module: String, detail: String)
        case file(SafeTensorsError)
        case nonFinite(tensor: String, elementIndex: Int)
        /// A system call failed on a file of the checkpoint (the error names it).
        case system(SystemError)
    }

    public var description: String {
        // A file error inside the checkpoint already names its file.
        if case .file(let error) = reason, error.path.hasPrefix(checkpoint) { return error.description }
        return "\(checkpoint): \(reason.message)"
    }
}

extension CheckpointError.Reason {
    /// A sentence for the user: what is wrong and what to do about it.
    public var message: String {
        switch self {
        case .notACheckpoint(let detail):
            "not a checkpoint: \(detail)"
        case .missingConfig:
            "no config.json beside the weights; a Hugging Face checkpoint needs one (save with save_pretrained)"
        case .unsafeFileName(let file, let detail):
            "weight file \"\(file)\" \(detail); weight files must be plain file names inside the checkpoint directory"
        case .missingFile(let file):
            "\(file) is missing; the checkpoint is incomplete or was deleted"
        case .invalidIndex(let detail):
            "model.safetensors.index.json: \(detail)"
        case .tensorNotInShard(let tensor, let shard):
            "index maps tensor \"\(tensor)\" to \(shard), which does not contain it"
        case .tensorNotIndexed(let tensor, let shard):
            "tensor \"\(tensor)\" in \(shard) is not listed in the index's weight_map"
        case .duplicateTensor(let tensor, let files):
            "tensor \"\(tensor)\" is stored in more than one file (\(files.joined(separator: ", ")))"
        case .invalidAdapterConfig(let key, let detail):
            "adapter_config.json key \"\(key)\": \(detail)"
        case .unsupportedAdapter(let detail):
            "unsupported adapter: \(detail)"
        case .unpairedLoRA(let module, let missing):
            "LoRA module \"\(module)\" has no \(missing); A and B are paired by module name"
        case .invalidLoRAShape(let module, let detail):
            "LoRA module \"\(module)\": \(detail)"
        case .file(let error):
            error.description
        case .nonFinite(let tensor, let index):
            "tensor \"\(tensor)\" holds NaN or Inf (first at element \(index)); the run diverged or the file is corrupt"
        case .system(let error):
            if let kind = error.fileKind {
                "\(error.path ?? "a file") is not a regular file (\(kind)); a checkpoint's files must be regular files (or symlinks to them)"
            } else {
                "\(error.operation) \(error.path ?? "") failed: \(error.message)"
            }
        }
    }
}
