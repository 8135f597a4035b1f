#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import SystemCalls

/// One daemon per history: an exclusive `flock` on `<database>.lock`, held for the
/// process's life, with the holder's PID written in it.
///
/// Two daemons on one database would race for the same checkpoints (duplicate rows,
/// rows stuck `processing`, contradictory journal entries); the second one exits at
/// start instead, naming the first. The kernel drops the lock when the holder dies, so
/// a crash never leaves it behind.
final class DaemonLock: Sendable {
    /// The lock file.
    let path: String
    private let fd: Mutex<Int32?>

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = Mutex(fd)
    }

    deinit { release() }

    /// Lets the lock go (closing the file releases it); later calls do nothing.
    func release() {
        fd.withLock { fd in
            if let open = fd { close(open) }
            fd = nil
        }
    }

    /// The lock file of `database`.
    static func path(for database: String) -> String { database + ".lock" }

    /// Takes the lock of `database`, or throws ``DaemonError/alreadyRunning(pid:database:)``.
    static func acquire(database: String) throws(DaemonError) -> DaemonLock {
        let path = path(for: database)
        let fd: Int32
        do {
            try FileSystem.makeDirectories((database as NSString).deletingLastPathComponent)
        } catch {
            throw .historyDirectory(database: database, error)
        }
        do {
            fd = try Syscall.retrying("open", path: path) { open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o640) }
        } catch {
            throw .system(error)
        }
        do {
            try Syscall.retrying("flock", path: path) { flock(fd, LOCK_EX | LOCK_NB) }
        } catch {
            close(fd)
            guard error.errno == EWOULDBLOCK else { throw .system(error) }
            throw .alreadyRunning(pid: holder(database: database), database: database)
        }
        let text = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        var bytes = Array(text.utf8)
        _ = try? bytes.withUnsafeMutableBytes { try FileSystem.writeAll(fd, UnsafeRawBufferPointer($0), path: path) }
        return DaemonLock(path: path, fd: fd)
    }

    /// The PID written by the daemon that holds (or last held) `database`'s lock.
    static func holder(database: String) -> Int32? {
        let path = path(for: database)
        guard let fd = try? Syscall.retrying("open", path: path, { open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) }) else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Whether a live daemon holds `database`'s lock now.
    static func isHeld(database: String) -> Bool {
        let path = path(for: database)
        guard let fd = try? Syscall.retrying("open", path: path, { open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) }) else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return true
    }
}
