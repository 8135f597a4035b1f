#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemCalls

/// Whether a checkpoint directory has finished being written, judged from its files
/// alone and cheaply (names, sizes, headers; never tensor data).
///
/// Writers such as the Hugging Face Trainer are not atomic: a watcher must not process
/// a directory whose weight files are still missing or shorter than their headers say.
/// Malformed files are *not* incomplete: they are handed on, so that the checkpoint is
/// rejected with its reason instead of waited on forever.
public enum CheckpointCompleteness: Sendable, Equatable {
    /// The directory holds no weights (an `evals/` folder, a tokenizer-only directory).
    case noWeights
    /// Something the layout names is not there yet.
    case missing(file: String)
    /// A weight file is shorter than its header (or its length prefix) says.
    case short(file: String, size: Int, expected: Int?)
    /// Every file the layout names is there at its full size (or is malformed).
    case complete

    /// Inspects `directory` (a Hugging Face checkpoint directory). Never blocks: files
    /// are opened only as regular files, so a FIFO, socket or device in any role (weights,
    /// index, config) makes the directory ``complete`` and `Checkpoint.open` refuses it
    /// with the file and its kind.
    public static func of(directory: String) -> CheckpointCompleteness {
        let dir = directory.hasSuffix("/") ? directory : directory + "/"
        guard let layout = CheckpointLayout.detect(directory: directory) else { return .noWeights }
        let weightFiles: [String]
        switch layout {
        case .single:
            guard SmallFile.exists(dir + "config.json") else { return .missing(file: "config.json") }
            weightFiles = ["model.safetensors"]
        case .lora:
            weightFiles = ["adapter_model.safetensors"]
        case .sharded:
            guard SmallFile.exists(dir + "config.json") else { return .missing(file: "config.json") }
            guard let shards = shardNames(dir + "model.safetensors.index.json") else { return .complete }
            weightFiles = shards
        case .file:
            return .complete
        }
        for name in weightFiles {
            // Names that leave the directory are the reader's to reject.
            guard !name.contains("/"), name != "..", name != "." else { return .complete }
            let state = file(dir + name)
            if state != .complete { return state.named(name) }
        }
        return .complete
    }

    /// Whether one safetensors file is as long as its header declares. Never blocks: a
    /// path that is not a regular file is ``complete`` (the reader refuses it).
    public static func file(_ path: String) -> CheckpointCompleteness {
        let fd: Int32
        do { fd = try FileSystem.openRegularFile(path) } catch {
            // A FIFO, socket, device or directory is never opened for reading (it would
            // block): it is malformed, not incomplete, and the reader refuses it.
            return error.fileKind != nil ? .complete : .missing(file: path)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .complete }
        let size = Int(info.st_size)
        guard size >= 8 else { return .short(file: path, size: size, expected: nil) }
        var prefix: UInt64 = 0
        guard (try? Syscall.retrying("read") { pread(fd, &prefix, 8, 0) }) == 8 else { return .short(file: path, size: size, expected: nil) }
        let length = UInt64(littleEndian: prefix)
        guard length <= UInt64(SafeTensorsHeader.maxHeaderLength) else { return .complete }
        guard UInt64(size) >= 8 + length else { return .short(file: path, size: size, expected: nil) }
        var header = [UInt8](repeating: 0, count: Int(length))
        let read = header.withUnsafeMutableBytes { raw in try? Syscall.retrying("read") { pread(fd, raw.baseAddress, Int(length), 8) } }
        guard read == Int(length), let object = try? JSONParser.parse(header).object else { return .complete }
        var end: UInt64 = 0
        for (key, value) in object.members where key != "__metadata__" {
            guard let offsets = value.object?["data_offsets"]?.array, offsets.count == 2, let stop = offsets[1].uint64 else { continue }
            end = max(end, stop)
        }
        let (expected, overflow) = (8 + length).addingReportingOverflow(end)
        guard !overflow, expected <= UInt64(Int.max) else { return .complete }
        return size < Int(expected) ? .short(file: path, size: size, expected: Int(expected)) : .complete
    }

    /// Shard names listed by an index, or nil when the index is unreadable (then the
    /// reader rejects it).
    private static func shardNames(_ indexPath: String) -> [String]? {
        guard let bytes = try? SmallFile.read(indexPath), let root = try? JSONParser.parse(bytes).object,
              let map = root["weight_map"]?.object else { return nil }
        var names = Set<String>()
        for (_, value) in map.members {
            guard let name = value.string else { return nil }
            names.insert(name)
        }
        return names.sorted()
    }

    private func named(_ name: String) -> CheckpointCompleteness {
        switch self {
        case .missing: .missing(file: name)
        case .short(_, let size, let expected): .short(file: name, size: size, expected: expected)
        default: self
        }
    }
}
