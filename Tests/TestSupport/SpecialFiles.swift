import Foundation

/// FIFOs, sockets and a deadline for calls that might block on them: the fixtures of
/// the tests that a file in a watched directory can be anything.
public enum SpecialFiles {
    /// Creates a FIFO at `path` (mkfifo 0600).
    public static func fifo(_ path: String) throws {
        guard mkfifo(path, 0o600) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Binds a Unix stream socket at `path` and returns its descriptor (close it when
    /// done; the socket file stays until removed). `path` must fit `sun_path` (107 bytes).
    public static func socket(_ path: String) throws -> Int32 {
        let fd = Foundation.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw POSIXError(.ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        return fd
    }

    /// Releases a thread blocked opening or reading the FIFO at `path`: opening it
    /// read-write completes any open, and closing it again gives a reader end of file.
    public static func unblock(fifo path: String) {
        let fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        if fd >= 0 { close(fd) }
    }

    /// Runs `body` on a thread of its own and waits at most `seconds` for it: its result
    /// (or error), or nil when it is still running — a call blocked on a FIFO. Then
    /// `onTimeout` runs (unblock the FIFOs there, so the thread left behind ends), and
    /// the caller records the failure: a regression fails the test instead of hanging
    /// the suite.
    public static func finish<T: Sendable>(within seconds: Double = 1, onTimeout: () -> Void = {},
                                           _ body: @escaping @Sendable () throws -> T) -> Result<T, any Error>? {
        let box = ResultBox<T>()
        let thread = Thread {
            let result: Result<T, any Error>
            do { result = .success(try body()) } catch { result = .failure(error) }
            box.set(result)
        }
        thread.start()
        if let result = box.wait(seconds) { return result }
        onTimeout()
        return nil
    }
}

/// A result handed from a worker thread, waited for with a deadline.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<T, any Error>?

    func set(_ value: Result<T, any Error>) {
        condition.lock()
        result = value
        condition.signal()
        condition.unlock()
    }

    func wait(_ seconds: Double) -> Result<T, any Error>? {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while result == nil, condition.wait(until: deadline) {}
        return result
    }
}
