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

    /// Opens `directory/name` read-only as a regular file that is inside `directory`,
    /// and returns its descriptor: ``resolve(_:in:checkpoint:)``, then
    /// `FileSystem.openRegularFile` on the resolved path with `O_NOFOLLOW`, then a check
    /// through `/proc/self/fd` that what was opened is still inside (a directory renamed
    /// or a symlink swapped in between the two cannot lead out). Never blocks.
    ///
    /// Throws ``CheckpointError/Reason/unsafeFileName(file:detail:)`` for a name or a
    /// symlink that leads outside, ``CheckpointError/Reason/missingFile(file:)`` for
    /// nothing there (or a dangling symlink), and ``CheckpointError/Reason/system(_:)``
    /// otherwise, whose ``SystemError/fileKind`` is set for a FIFO, socket, device or
    /// directory.
    static func openRegular(_ name: String, in directory: String, checkpoint: String) throws(CheckpointError) -> Int32 {
        let resolved = try resolve(name, in: directory, checkpoint: checkpoint)
        let fd: Int32
        do { fd = try FileSystem.openRegularFile(resolved, flags: O_RDONLY | O_NOFOLLOW) } catch {
            if error.errno == ENOENT { throw CheckpointError(checkpoint: checkpoint, reason: .missingFile(file: name)) }
            throw CheckpointError(checkpoint: checkpoint, reason: .system(error))
        }
        if let opened = openedPath(fd) {
            let root = try realPath(directory, checkpoint: checkpoint)
            guard opened.hasPrefix(root == "/" ? "/" : root + "/") else {
                close(fd)
                throw CheckpointError(checkpoint: checkpoint, reason: .unsafeFileName(file: name, detail: "resolves to \(opened), outside the checkpoint"))
            }
        }
        return fd
    }

    /// The path the kernel has for an open descriptor (`/proc/self/fd/N`), or nil
    /// without `/proc`.
    static func openedPath(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = buffer.withUnsafeMutableBytes { raw in
            readlink("/proc/self/fd/\(fd)", raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count - 1)
        }
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
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
