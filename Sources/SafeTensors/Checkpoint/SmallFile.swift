#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading of small metadata files (JSON configs, indexes) with a size bound, so a
/// hostile multi-gigabyte `config.json` is an error instead of an allocation.
enum SmallFile {
    static let defaultLimit = 64 << 20

    enum Failure: Error {
        case missing
        case tooLarge(Int)
        case system(String, Int32)
    }

    static func read(_ path: String, limit: Int = defaultLimit) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw errno == ENOENT ? .missing : .system("open", errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .system("stat", errno) }
        let size = Int(info.st_size)
        guard size <= limit else { throw .tooLarge(size) }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, size - done, off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .system("read", n < 0 ? errno : EIO) }
            done += n
        }
        return bytes
    }

    /// Reads and parses a JSON file, mapping every failure to a ``CheckpointError``.
    static func json(_ path: String, name: String, checkpoint: String,
                     invalid: (String) -> CheckpointError.Reason) throws(CheckpointError) -> JSONValue {
        let bytes: [UInt8]
        do {
            bytes = try read(path)
        } catch {
            switch error {
            case .missing: throw CheckpointError(checkpoint: checkpoint, reason: .missingFile(file: name))
            case .tooLarge(let size): throw CheckpointError(checkpoint: checkpoint, reason: invalid("file is \(size) bytes, over the \(defaultLimit)-byte limit"))
            case .system(let op, let code): throw CheckpointError(checkpoint: checkpoint, reason: .system(operation: op, path: path, errno: code))
            }
        }
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw CheckpointError(checkpoint: checkpoint, reason: invalid("not valid JSON: \(error)"))
        }
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}
