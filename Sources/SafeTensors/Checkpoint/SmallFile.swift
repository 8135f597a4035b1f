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
        case system(SystemError)
    }

    /// The bytes of the regular file at `path`, at most `limit` of them. Never blocks: a
    /// FIFO, socket or device is refused (``SystemError/fileKind``), a file over the
    /// limit fails with `EFBIG` before anything is read.
    static func read(_ path: String, limit: Int = defaultLimit) throws(Failure) -> [UInt8] {
        do { return try FileSystem.readRegularFile(path, limit: limit) } catch {
            throw error.errno == ENOENT ? .missing : .system(error)
        }
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
            case .system(let error) where error.errno == EFBIG && error.detail != nil:
                throw CheckpointError(checkpoint: checkpoint, reason: invalid(error.message))
            case .system(let error): throw CheckpointError(checkpoint: checkpoint, reason: .system(error))
            }
        }
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw CheckpointError(checkpoint: checkpoint, reason: invalid("not valid JSON: \(error)"))
        }
    }

    /// Whether there is anything at `path`, without following a symlink or opening it:
    /// a FIFO, a socket or a dangling symlink exists too (the reader then refuses it with
    /// its reason), so a layout stays detectable whatever is in the way.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}
