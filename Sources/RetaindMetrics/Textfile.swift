#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemCalls

/// A file node_exporter's textfile collector reads: replaced whole, never seen half
/// written.
///
/// The text goes to a hidden temporary beside it (`.<name>.tmp-<pid>`, which the
/// collector ignores: it reads `*.prom` only) and is renamed over it. Not fsynced: the
/// file is rewritten within a minute, and a training host's busy disk must not stall the
/// daemon on a sync.
public struct Textfile: Sendable {
    /// The `.prom` file.
    public let path: String

    /// The textfile at `path`.
    public init(path: String) {
        self.path = path
    }

    /// Replaces the file's content with `text`, readable by everyone (mode 0644: the
    /// collector runs as another user).
    public func write(_ text: String) throws(SystemError) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) }.flatMap { $0.isEmpty ? "/" : $0 } ?? "."
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let prefix = ".\(name).tmp-"
        FileSystem.removeStaleTemporaries(in: directory, prefix: prefix)
        let temporary = "\(directory)/\(prefix)\(getpid())"
        let fd = try Syscall.retrying("open", path: temporary) {
            open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        }
        do throws(SystemError) {
            _ = fchmod(fd, 0o644)  // whatever the umask
            let bytes = Array(text.utf8)
            // withUnsafeBytes rethrows untyped errors: carry the typed one out in a Result.
            try bytes.withUnsafeBytes { buffer in
                Result { () throws(SystemError) in try FileSystem.writeAll(fd, buffer, path: temporary) }
            }.get()
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        do {
            try Syscall.retrying("rename", path: path) { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
