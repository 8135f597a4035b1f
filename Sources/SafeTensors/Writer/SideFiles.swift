#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemCalls

/// The model's own files beside its weights — config, generation config, tokenizer,
/// chat template, model card, adapter config, remote code — which a restored checkpoint
/// carries so that it loads like its candidate.
///
/// The rule is an allow-list of names, not a deny-list of training state: a checkpoint
/// directory also holds what the trainer saves to resume (`optimizer.pt`, often twice
/// the size of the model, `scheduler.pt`, `rng_state*.pth`, `trainer_state.json`,
/// `training_args.bin`, DeepSpeed's `global_step*/`, FSDP's shards, …), and no list of
/// those can be complete, so a deny-list would copy the next trainer's 10 GB state by
/// accident. Only names a loader reads are copied, each at most 64 MiB.
public enum SideFiles {
    /// Side files copied at most this large; a larger one is left out with a warning.
    public static let sizeLimit = 64 << 20

    /// Names copied as they are.
    public static let names: Set<String> = [
        "config.json", "generation_config.json", "adapter_config.json",
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
        "tokenizer.model", "spiece.model", "sentencepiece.bpe.model", "vocab.json", "vocab.txt", "merges.txt",
        "preprocessor_config.json", "processor_config.json",
        "README.md",
    ]

    /// Name patterns (prefix, suffix): `chat_template.*`, and the remote code a
    /// `config.json` `auto_map` names (`configuration_*.py`, `modeling_*.py`,
    /// `tokenization_*.py`). The part in between may hold only letters, digits, `_`,
    /// `-` and `.`.
    public static let patterns: [(prefix: String, suffix: String)] = [
        ("chat_template.", ""), ("configuration_", ".py"), ("modeling_", ".py"), ("tokenization_", ".py"),
    ]

    /// Whether `name` is a model side file (one that ``AtomicDirectory/copySideFiles(of:)`` copies).
    public static func isSideFile(_ name: String) -> Bool {
        if names.contains(name) { return true }
        return patterns.contains { prefix, suffix in
            guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.utf8.count > prefix.utf8.count + suffix.utf8.count else { return false }
            let middle = name.utf8.dropFirst(prefix.utf8.count).dropLast(suffix.utf8.count)
            return middle.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            }
        }
    }
}

/// What ``AtomicDirectory/copySideFiles(of:)`` did.
public struct SideFileCopy: Sendable, Equatable {
    /// The side files copied, by name, sorted.
    public var copied: [String]
    /// One sentence per side file that was not copied and why (a symlink leading out of
    /// the checkpoint, a FIFO, socket or device, over the size limit, unreadable).
    public var warnings: [String]

    public init(copied: [String] = [], warnings: [String] = []) {
        self.copied = copied
        self.warnings = warnings
    }
}

extension AtomicDirectory {
    /// Copies the model side files (``SideFiles``) of `checkpoint`'s directory into the
    /// temporary directory, fsynced, each under its own name.
    ///
    /// A side file that is a symlink is followed only if it resolves inside the
    /// checkpoint directory (it is copied as a regular file under the link's name);
    /// otherwise it is not copied, and neither is one that is not a regular file (a
    /// FIFO, socket, device, directory), over ``SideFiles/sizeLimit``, or that cannot be
    /// opened: each of those is a warning in the result, never dropped silently. Nothing
    /// blocks. Files that are not side files are left out without a word. Throws only
    /// when writing the copy fails, or reading a file already opened does.
    public func copySideFiles(of checkpoint: Checkpoint) throws(SafeTensorsError) -> SideFileCopy {
        var result = SideFileCopy()
        guard checkpoint.layout != .file, let entries = FileSystem.entries(of: checkpoint.path) else { return result }
        let weightFiles = Set(checkpoint.fileNames)
        for name in entries.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        where SideFiles.isSideFile(name) && !weightFiles.contains(name) {
            func skip(_ why: String) { result.warnings.append("side file \(name) not copied: \(why)") }
            let input: Int32
            do { input = try ContainedPath.openRegular(name, in: checkpoint.path, checkpoint: checkpoint.path) } catch {
                switch error.reason {
                case .unsafeFileName(_, let detail): skip("it \(detail)")
                case .missingFile: skip("it is missing (a dangling symlink, or deleted meanwhile)")
                case .system(let failure) where failure.fileKind != nil: skip(failure.message)
                case .system(let failure): skip("\(failure.operation) failed: \(failure.message)")
                default: skip(error.reason.message)
                }
                continue
            }
            defer { close(input) }
            var info = stat()
            guard fstat(input, &info) == 0 else {
                skip("stat failed: \(String(cString: strerror(errno)))")
                continue
            }
            let size = Int(info.st_size)
            guard size <= SideFiles.sizeLimit else {
                skip("it is \(size) bytes, over the \(SideFiles.sizeLimit)-byte limit for side files")
                continue
            }
            try copy(input, size: size, from: checkpoint.path + "/" + name, as: name)
            result.copied.append(name)
        }
        return result
    }
}
