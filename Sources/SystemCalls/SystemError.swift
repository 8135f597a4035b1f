#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: which, on what, and the errno.
///
/// A call retaind refuses itself carries a ``detail`` that replaces the system's text
/// (`open /x/model.safetensors: not a regular file (a FIFO)`), and, when it was refused
/// because the file is not a regular file, the ``fileKind`` found instead.
public struct SystemError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The call, as the user would name it (`open`, `mkdir`, `rename into place`).
    public let operation: String
    /// The file it was called on, when there is one.
    public let path: String?
    public let errno: Int32
    /// What went wrong, in place of `strerror(errno)`, when retaind refused the call.
    public let detail: String?
    /// What was found where a regular file was required, when that is why the call was
    /// refused (see ``FileSystem/openRegularFile(_:flags:)``).
    public let fileKind: FileKind?

    public init(_ operation: String, path: String? = nil, errno: Int32, detail: String? = nil, fileKind: FileKind? = nil) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.detail = detail
        self.fileKind = fileKind
    }

    /// `operation path: not a regular file (a FIFO)`: `kind` was found where a regular
    /// file was required. The errno is `EISDIR` for a directory, `EINVAL` otherwise.
    public static func notARegularFile(_ operation: String = "open", path: String?, kind: FileKind) -> SystemError {
        SystemError(operation, path: path, errno: kind == .directory ? EISDIR : EINVAL,
                    detail: "not a regular file (\(kind))", fileKind: kind)
    }

    /// `open /x/y: No such file or directory`, or `pipe: Too many open files` without a path.
    public var description: String {
        path.map { "\(operation) \($0): \(message)" } ?? "\(operation): \(message)"
    }

    /// The system's text for ``errno`` (`strerror`), or the ``detail`` that replaces it,
    /// for the errors that wrap this one.
    package var message: String { detail ?? String(cString: strerror(errno)) }

    /// The same error without its path, for a wrapping error that names the file itself.
    package var withoutPath: SystemError {
        SystemError(operation, errno: errno, detail: detail, fileKind: fileKind)
    }
}

/// What a path is, from the file-type bits of its `st_mode`.
public enum FileKind: String, Sendable, Equatable, CustomStringConvertible {
    case regular
    case directory
    case fifo
    case socket
    case characterDevice
    case blockDevice
    case symbolicLink
    case unknown

    public init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFIFO: self = .fifo
        case S_IFSOCK: self = .socket
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFLNK: self = .symbolicLink
        default: self = .unknown
        }
    }

    /// `a FIFO`, `a socket`, `a character device`, `a block device`, `a directory`, …
    public var description: String {
        switch self {
        case .regular: "a regular file"
        case .directory: "a directory"
        case .fifo: "a FIFO"
        case .socket: "a socket"
        case .characterDevice: "a character device"
        case .blockDevice: "a block device"
        case .symbolicLink: "a symbolic link"
        case .unknown: "an unknown kind of file"
        }
    }
}
