#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemCalls

/// Reading of small metadata files (JSON configs, indexes) with a size bound, so a
/// hostile multi-gigabyte `config.json` is an error instead of an allocation.
enum SmallFile {
    static let defaultLimit = 64 << 20

    enum Failure: Error {
        case missing
        case tooLarge(Int)
        case system(SystemError)
    }

    static func read(_ path: String, limit: Int = defaultLimit) throws(Failure) -> [UInt8] {
        let fd: Int32
        do { fd = try Syscall.retrying("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) } } catch {
            throw error.errno == ENOENT ? .missing : .system(error)
        }
        defer { close(fd) }
        var info = stat()
        do { try Syscall.retrying("stat", path: path) { fstat(fd, &info) } } catch { throw .system(error) }
        let size = Int(info.st_size)
        guard size <= limit else { throw .tooLarge(size) }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n: Int
            do {
                n = try bytes.withMutableBuffer { buffer throws(SystemError) in
                    try Syscall.retrying("read", path: path) { pread(fd, buffer.baseAddress! + done, size - done, off_t(done)) }
                }
            } catch {
                throw .system(error)
            }
            guard n > 0 else { throw .system(SystemError("read", path: path, errno: EIO)) }
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
            case .system(let error): throw CheckpointError(checkpoint: checkpoint, reason: .system(error))
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
