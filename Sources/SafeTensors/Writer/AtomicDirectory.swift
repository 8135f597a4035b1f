#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSystemShims
import SystemCalls

/// A directory built under a temporary name beside its destination and renamed into
/// place only when complete, so no reader ever sees a partial output.
///
/// The temporary lives in the destination's parent (same filesystem, so the rename is
/// atomic) and is named `.<name>.retaind-tmp-<pid>-<n>`; a process killed mid-write
/// leaves only such a directory, which ``removeStaleTemporaries(for:)`` deletes on the
/// next run.
public struct AtomicDirectory: Sendable {
    /// Where the directory appears once published.
    public let destination: String
    /// Where it is built.
    public let temporary: String

    static let marker = ".retaind-tmp-"

    /// Creates the temporary directory; fails if `destination` already exists.
    public init(destination: String) throws(SafeTensorsError) {
        var dest = destination
        while dest.count > 1 && dest.hasSuffix("/") { dest.removeLast() }
        guard !SmallFile.exists(dest) else {
            throw SafeTensorsError(path: dest, reason: .system(operation: "create output directory (it already exists)", errno: EEXIST))
        }
        let (parent, name) = Self.split(dest)
        do { try FileSystem.makeDirectories(parent, mode: 0o755) } catch {
            throw SafeTensorsError(path: parent, reason: .system(error))
        }
        var attempt = 0
        var temp: String
        repeat {
            temp = parent + "/." + name + Self.marker + String(getpid()) + "-" + String(attempt)
            attempt += 1
            do {
                try Syscall.retrying("mkdir") { mkdir(temp, 0o755) }
                break
            } catch {
                guard error.errno == EEXIST, attempt < 1000 else { throw SafeTensorsError(path: temp, reason: .system(error)) }
            }
        } while true
        self.destination = dest
        self.temporary = temp
    }

    /// The path of file `name` inside the temporary directory.
    public func path(_ name: String) -> String { temporary + "/" + name }

    /// Copies a regular file into the temporary directory, fsynced. Never blocks: a
    /// FIFO, socket or device at `source` is refused (``SystemError/fileKind`` says what
    /// it is), never read.
    public func copyFile(from source: String, as name: String) throws(SafeTensorsError) {
        let input: Int32
        do { input = try FileSystem.openRegularFile(source) } catch {
            throw SafeTensorsError(path: source, reason: .system(error))
        }
        defer { close(input) }
        var info = stat()
        do { try Syscall.retrying("stat", path: source) { fstat(input, &info) } } catch {
            throw SafeTensorsError(path: source, reason: .system(error))
        }
        try copy(input, size: Int(info.st_size), from: source, as: name)
    }

    /// Copies the first `size` bytes of the open file `input` (fewer if it ends sooner)
    /// into `name`, fsynced.
    func copy(_ input: Int32, size: Int, from source: String, as name: String) throws(SafeTensorsError) {
        let target = path(name)
        try Self.create(target) { output throws(SafeTensorsError) in
            var buffer = [UInt8](repeating: 0, count: min(max(size, 1), 1 << 20))
            var done = 0
            while done < size {
                let n: Int
                do throws(SystemError) {
                    n = try Syscall.retrying("read", path: source) {
                        buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, min($0.count, size - done)) }
                    }
                } catch {
                    throw SafeTensorsError(path: source, reason: .system(error))
                }
                if n == 0 { break }
                try Self.writeAll(output, buffer, count: n, path: target)
                done += n
            }
        }
    }

    /// Writes a small file (JSON, text) into the temporary directory, fsynced.
    public func writeFile(_ name: String, contents: String) throws(SafeTensorsError) {
        let target = path(name)
        let bytes = Array(contents.utf8)
        try Self.create(target) { fd throws(SafeTensorsError) in try Self.writeAll(fd, bytes, count: bytes.count, path: target) }
    }

    /// Fsyncs the directory, renames it to ``destination`` (never replacing an existing
    /// one) and fsyncs the parent so the rename survives a crash.
    public func publish() throws(SafeTensorsError) {
        try Self.fsyncDirectory(temporary)
        do { try Syscall.retrying("rename into place") { retaind_rename_noreplace(temporary, destination) } } catch {
            throw SafeTensorsError(path: destination, reason: .system(error))
        }
        try Self.fsyncDirectory(Self.split(destination).parent)
    }

    /// Removes the temporary directory and everything in it.
    public func abandon() {
        FileSystem.removeRecursively(temporary)
    }

    /// Removes temporaries left beside `destination` by processes that no longer run.
    public static func removeStaleTemporaries(for destination: String) {
        let (parent, name) = split(destination)
        FileSystem.removeStaleTemporaries(in: parent, prefix: "." + name + marker)
    }

    static func split(_ path: String) -> (parent: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let parent = String(path[..<slash])
        return (parent.isEmpty ? "/" : parent, String(path[path.index(after: slash)...]))
    }

    static func fsyncDirectory(_ path: String) throws(SafeTensorsError) {
        do {
            let fd = try Syscall.retrying("open directory") { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
            defer { close(fd) }
            try Syscall.retrying("fsync") { fsync(fd) }
        } catch {
            throw SafeTensorsError(path: path, reason: .system(error))
        }
    }

    /// Creates `path` exclusively, lets `body` write it, and fsyncs it.
    private static func create(_ path: String, _ body: (Int32) throws(SafeTensorsError) -> Void) throws(SafeTensorsError) {
        let fd: Int32
        do { fd = try Syscall.retrying("create") { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) } } catch {
            throw SafeTensorsError(path: path, reason: .system(error))
        }
        defer { close(fd) }
        try body(fd)
        do { try Syscall.retrying("fsync") { fsync(fd) } } catch { throw SafeTensorsError(path: path, reason: .system(error)) }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], count: Int, path: String) throws(SafeTensorsError) {
        do {
            try bytes.withBytes { raw throws(SystemError) in
                try FileSystem.writeAll(fd, UnsafeRawBufferPointer(rebasing: raw[0..<count]))
            }
        } catch {
            throw SafeTensorsError(path: path, reason: .system(error))
        }
    }
}
