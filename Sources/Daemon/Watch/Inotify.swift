#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

/// The kernel's inotify, for the watcher's thread: add/remove watches, and read events
/// with a timeout, woken early by ``wake()``. Every call goes through ``Syscall``, so a
/// signal (SIGHUP, SIGTERM) arriving mid-wait is retried, not mistaken for an error.
final class Inotify: Sendable {
    struct Event {
        let descriptor: Int32
        let mask: UInt32
        let name: String

        var isDirectory: Bool { mask & UInt32(IN_ISDIR) != 0 }
        var overflowed: Bool { mask & UInt32(IN_Q_OVERFLOW) != 0 }
    }

    /// What a watched directory reports: entries created, moved, changed or removed,
    /// and the directory itself going away.
    static let directoryEvents = UInt32(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_MODIFY
        | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

    private let fd: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32

    init() throws(DaemonError) {
        do {
            fd = try Syscall.retrying("inotify_init1") { inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }
        } catch {
            throw DaemonError.system(error)
        }
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else {
            let code = errno
            close(fd)
            throw DaemonError.system(SystemError("pipe", errno: code))
        }
        wakeRead = pipeFDs[0]
        wakeWrite = pipeFDs[1]
        for end in pipeFDs {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
    }

    deinit {
        close(fd)
        close(wakeRead)
        close(wakeWrite)
    }

    /// Watches `directory`; the descriptor, or the error (ENOENT when it vanished,
    /// ENOSPC when `fs.inotify.max_user_watches` is reached).
    func add(_ directory: String) -> Result<Int32, DaemonError> {
        do {
            return .success(try Syscall.retrying("inotify_add_watch", path: directory) { inotify_add_watch(fd, directory, Self.directoryEvents) })
        } catch {
            return .failure(.system(error))
        }
    }

    func remove(_ descriptor: Int32) { _ = inotify_rm_watch(fd, descriptor) }

    /// Wakes a thread blocked in ``read(timeout:)``. Safe from any thread.
    func wake() {
        var byte: UInt8 = 1
        _ = try? Syscall.retrying("write") { Glibc.write(wakeWrite, &byte, 1) }
    }

    /// Waits up to `timeout` seconds for events (or a wake-up) and returns them.
    func read(timeout: Double) -> [Event] {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        let milliseconds = Int32(max(0, min(timeout, 3600)) * 1000)
        // An interrupted wait returns to the loop, which waits again with a fresh timeout.
        guard poll(&fds, 2, milliseconds) > 0 else { return [] }
        if fds[1].revents != 0 {
            var drain = [UInt8](repeating: 0, count: 64)
            while (try? Syscall.retrying("read") { Glibc.read(wakeRead, &drain, drain.count) }) ?? 0 > 0 {}
        }
        var events: [Event] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            // EAGAIN (nothing left) ends the batch.
            let count = (try? Syscall.retrying("read") { buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }) ?? 0
            guard count > 0 else { break }
            buffer.withUnsafeBytes { bytes in
                var offset = 0
                let header = MemoryLayout<inotify_event>.size
                while offset + header <= count {
                    let raw = bytes.baseAddress! + offset
                    let wd = raw.loadUnaligned(fromByteOffset: 0, as: Int32.self)
                    let mask = raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
                    let length = Int(raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
                    // `name` is not imported: its NUL-padded bytes follow the header.
                    let nameBytes = UnsafeRawBufferPointer(start: raw + header, count: min(length, count - offset - header))
                    let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                    events.append(Event(descriptor: wd, mask: mask, name: name))
                    offset += header + length
                }
            }
        }
        return events
    }
}
