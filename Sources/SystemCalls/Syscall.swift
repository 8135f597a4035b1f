#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one place a system call's result is checked, as swift-nio's `syscall` wrapper
/// does it: `-1` means failure and `errno` is read right after, and a call interrupted by
/// a signal (`EINTR`) is simply made again.
public enum Syscall {
    /// Runs `body` again while it fails with EINTR; throws SystemError on -1 (errno read right after).
    ///
    /// ```swift
    /// let fd = try Syscall.retrying("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
    /// ```
    @discardableResult
    public static func retrying<T: FixedWidthInteger & SignedInteger>(
        _ operation: String, path: String? = nil, _ body: () -> T
    ) throws(SystemError) -> T {
        while true {
            let result = body()
            guard result == -1 else { return result }
            let code = errno
            if code == EINTR { continue }
            throw SystemError(operation, path: path, errno: code)
        }
    }
}
