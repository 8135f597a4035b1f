#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: which, on what, and the errno.
public struct SystemError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The call, as the user would name it (`open`, `mkdir`, `rename into place`).
    public let operation: String
    /// The file it was called on, when there is one.
    public let path: String?
    public let errno: Int32

    public init(_ operation: String, path: String? = nil, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// `open /x/y: No such file or directory`, or `pipe: Too many open files` without a path.
    public var description: String {
        path.map { "\(operation) \($0): \(message)" } ?? "\(operation): \(message)"
    }

    /// The system's text for ``errno`` (`strerror`), for the errors that wrap this one.
    package var message: String { String(cString: strerror(errno)) }
}
