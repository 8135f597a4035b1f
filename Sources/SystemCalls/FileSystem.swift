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
    static func entries(of directory: String) -> [String]? {
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
