#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemCalls

/// Resolution of file names that come from untrusted metadata (index `weight_map`
/// values) to paths guaranteed to stay inside a checkpoint directory.
enum ContainedPath {
    /// The real path of `directory/name`, after checking that `name` is a plain file
    /// name and that no symlink leads outside `directory`.
    static func resolve(_ name: String, in directory: String, checkpoint: String) throws(CheckpointError) -> String {
        func unsafe(_ detail: String) -> CheckpointError {
            CheckpointError(checkpoint: checkpoint, reason: .unsafeFileName(file: name, detail: detail))
        }
        guard !name.isEmpty else { throw unsafe("is empty") }
        guard !name.hasPrefix("/") else { throw unsafe("is an absolute path") }
        guard !name.contains("/") else { throw unsafe("contains '/'") }
        guard name != "." && name != ".." else { throw unsafe("is a directory reference") }
        guard !name.utf8.contains(0) else { throw unsafe("contains a NUL byte") }

        let root = try realPath(directory, checkpoint: checkpoint)
        let joined = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        var info = stat()
        do { try Syscall.retrying("lstat", path: joined) { lstat(joined, &info) } } catch {
            if error.errno == ENOENT { throw CheckpointError(checkpoint: checkpoint, reason: .missingFile(file: name)) }
            throw CheckpointError(checkpoint: checkpoint, reason: .system(error))
        }
        let resolved = try realPath(joined, checkpoint: checkpoint)
        let prefix = root == "/" ? "/" : root + "/"
        guard resolved.hasPrefix(prefix) else { throw unsafe("resolves to \(resolved), outside the checkpoint") }
        return resolved
    }

    /// `realpath(3)`, with ENOENT reported as a missing file.
    static func realPath(_ path: String, checkpoint: String) throws(CheckpointError) -> String {
        guard let resolved = realpath(path, nil) else {
            let code = errno
            if code == ENOENT { throw CheckpointError(checkpoint: checkpoint, reason: .missingFile(file: path)) }
            throw CheckpointError(checkpoint: checkpoint, reason: .system(SystemError("realpath", path: path, errno: code)))
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
