#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file-system operations retaind composes from system calls.
public enum FileSystem {
    /// `mkdir -p`: creates `path` and its missing parents with `mode`. An existing
    /// directory (or a symlink to one) is fine; anything else in the way fails with
    /// ENOTDIR, naming the component that is not a directory.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o750) throws(SystemError) {
        guard !path.isEmpty, !isDirectory(path) else { return }
        var partial = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            partial += partial.isEmpty || partial.hasSuffix("/") ? String(component) : "/" + component
            do {
                try Syscall.retrying("mkdir", path: partial) { mkdir(partial, mode) }
            } catch {
                guard error.errno == EEXIST else { throw error }
                guard isDirectory(partial) else { throw SystemError("mkdir", path: partial, errno: ENOTDIR) }
            }
        }
    }

    /// `rm -rf` without following symlinks: a symlink is removed, never what it points
    /// at; missing is fine. Failures are ignored (what could not be removed stays).
    public static func removeRecursively(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR, let children = entries(of: path) {
            for child in children { removeRecursively(path + "/" + child) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Opens the regular file at `path` (symlinks followed) and returns its descriptor;
    /// never blocks, and never yields anything but a regular file.
    ///
    /// Anyone who can write a watched directory can put a FIFO, a socket or a device
    /// where a file is expected: `open(2)` of a FIFO blocks until a writer appears, a
    /// read of one blocks until it writes, and opening a device can have effects of its
    /// own. So the path is `stat`ed first and anything but a regular file is refused
    /// without being opened; then it is opened with `O_NONBLOCK` (a FIFO swapped in
    /// after the `stat` opens at once instead of blocking), `O_NOCTTY` and `O_CLOEXEC`,
    /// `fstat`ed again (what was opened is what counts), and `O_NONBLOCK` is cleared, so
    /// the descriptor reads like any other. Refusals are
    /// ``SystemError/notARegularFile(_:path:kind:)``:
    /// `open /x/model.safetensors: not a regular file (a FIFO)`.
    ///
    /// ```swift
    /// let fd = try FileSystem.openRegularFile(path)
    /// defer { close(fd) }
    /// ```
    ///
    /// - Parameter flags: `O_RDONLY`, `O_WRONLY` or `O_RDWR`, with flags such as
    ///   `O_NOFOLLOW`; files are never created here (`O_CREAT` is a programming error).
    public static func openRegularFile(_ path: String, flags: Int32 = O_RDONLY) throws(SystemError) -> Int32 {
        try openRegular(path, flags: flags).fd
    }

    /// Reads all of the regular file at `path` (opened as ``openRegularFile(_:flags:)``
    /// does), refusing one longer than `limit` bytes before reading any of it.
    ///
    /// A file over the limit fails with `EFBIG` (`read /x: file is 9 bytes, over the
    /// 8-byte limit`); one that shrinks while it is read with `EIO` (`file shrank while
    /// it was read`), never with a short result. A file that grows is read up to the
    /// length it had when opened.
    public static func readRegularFile(_ path: String, limit: Int) throws(SystemError) -> [UInt8] {
        let (fd, size) = try openRegular(path, flags: O_RDONLY)
        defer { close(fd) }
        guard size <= limit else {
            throw SystemError("read", path: path, errno: EFBIG, detail: "file is \(size) bytes, over the \(limit)-byte limit")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = try Syscall.retrying("read", path: path) {
                bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, size - done, off_t(done)) }
            }
            guard n > 0 else {
                throw SystemError("read", path: path, errno: EIO, detail: "file shrank while it was read (\(done) of \(size) bytes)")
            }
            done += n
        }
        return bytes
    }

    /// What is at `path`: `stat(2)` (symlinks followed) or, with `followingSymlinks`
    /// false, `lstat(2)`. Nothing is opened.
    public static func fileKind(_ path: String, followingSymlinks: Bool = true) throws(SystemError) -> FileKind {
        var info = stat()
        if followingSymlinks {
            try Syscall.retrying("stat", path: path) { stat(path, &info) }
        } else {
            try Syscall.retrying("lstat", path: path) { lstat(path, &info) }
        }
        return FileKind(mode: info.st_mode)
    }

    /// ``openRegularFile(_:flags:)``, with the size `fstat` gave.
    private static func openRegular(_ path: String, flags: Int32) throws(SystemError) -> (fd: Int32, size: Int) {
        precondition(flags & O_CREAT == 0, "openRegularFile opens existing files only")
        var info = stat()
        // Refused before opening: opening a device may act on it, and a socket cannot be
        // opened at all. When stat fails, open reports why (ENOENT, EACCES, ELOOP…).
        if stat(path, &info) == 0, FileKind(mode: info.st_mode) != .regular {
            throw .notARegularFile(path: path, kind: FileKind(mode: info.st_mode))
        }
        let fd: Int32
        do {
            fd = try Syscall.retrying("open", path: path) { open(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC) }
        } catch {
            // ENXIO: a socket (or a FIFO opened for writing) swapped in after the stat.
            if error.errno == ENXIO, stat(path, &info) == 0, FileKind(mode: info.st_mode) != .regular {
                throw .notARegularFile(path: path, kind: FileKind(mode: info.st_mode))
            }
            throw error
        }
        do throws(SystemError) {
            try Syscall.retrying("stat", path: path) { fstat(fd, &info) }
            let kind = FileKind(mode: info.st_mode)
            guard kind == .regular else { throw .notARegularFile(path: path, kind: kind) }
            // O_NONBLOCK has no effect on a regular file on Linux, but clearing it leaves no
            // doubt (FUSE and network file systems see the open flags).
            let status = try Syscall.retrying("fcntl", path: path) { fcntl(fd, F_GETFL) }
            try Syscall.retrying("fcntl", path: path) { fcntl(fd, F_SETFL, status & ~O_NONBLOCK) }
        } catch {
            close(fd)
            throw error
        }
        return (fd, Int(info.st_size))
    }

    /// Writes all of `bytes` to `fd`, in as many calls as it takes.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String? = nil) throws(SystemError) {
        guard var next = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let written = try Syscall.retrying("write", path: path) { write(fd, next, min(left, 1 << 30)) }
            // write(2) returns 0 only for a zero count; never loop on it.
            guard written > 0 else { throw SystemError("write", path: path, errno: EIO) }
            next += written
            left -= written
        }
    }

    /// Removes entries of `directory` named "<prefix><pid>-…" whose pid is not alive (kill(pid,0) failing with ESRCH; EPERM counts as alive) and not ours.
    ///
    /// Such entries are temporaries a killed process left behind (the pid may also end
    /// the name: `<prefix><pid>`).
    public static func removeStaleTemporaries(in directory: String, prefix: String) {
        guard let names = entries(of: directory) else { return }
        for name in names where name.hasPrefix(prefix) {
            guard let pid = pid_t(name.dropFirst(prefix.count).prefix { $0 != "-" }), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                removeRecursively(directory + "/" + name)
            }
        }
    }

    /// The names in `directory` except `.` and `..`, or nil when it cannot be read.
    public static func entries(of directory: String) -> [String]? {
        guard let dir = opendir(directory) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}

/// Unbuffered writes to file descriptor 2 (`FILE *stderr` is not usable under strict
/// concurrency).
public enum StandardError {
    /// Writes `text` as it is (it appends nothing: pass the "\n"); a failure is dropped,
    /// as there is nowhere left to report it.
    public static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            try? FileSystem.writeAll(STDERR_FILENO, UnsafeRawBufferPointer(bytes))
        }
    }
}
