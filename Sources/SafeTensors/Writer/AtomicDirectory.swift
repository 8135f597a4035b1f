#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSystemShims

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
        guard Self.makeDirectories(parent) else {
            throw SafeTensorsError(path: parent, reason: .system(operation: "mkdir", errno: errno))
        }
        var attempt = 0
        var temp: String
        repeat {
            temp = parent + "/." + name + Self.marker + String(getpid()) + "-" + String(attempt)
            attempt += 1
            if mkdir(temp, 0o755) == 0 { break }
            guard errno == EEXIST, attempt < 1000 else {
                throw SafeTensorsError(path: temp, reason: .system(operation: "mkdir", errno: errno))
            }
        } while true
        self.destination = dest
        self.temporary = temp
    }

    /// The path of file `name` inside the temporary directory.
    public func path(_ name: String) -> String { temporary + "/" + name }

    /// Copies a small file into the temporary directory, fsynced.
    public func copyFile(from source: String, as name: String) throws(SafeTensorsError) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw SafeTensorsError(path: source, reason: .system(operation: "open", errno: errno)) }
        defer { close(input) }
        let target = path(name)
        let output = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw SafeTensorsError(path: target, reason: .system(operation: "create", errno: errno)) }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw SafeTensorsError(path: source, reason: .system(operation: "read", errno: errno)) }
            if n == 0 { break }
            var done = 0
            while done < n {
                let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + done, n - done) }
                if w < 0 && errno == EINTR { continue }
                guard w > 0 else { throw SafeTensorsError(path: target, reason: .system(operation: "write", errno: errno)) }
                done += w
            }
        }
        guard fsync(output) == 0 else { throw SafeTensorsError(path: target, reason: .system(operation: "fsync", errno: errno)) }
    }

    /// Writes a small file (JSON, text) into the temporary directory, fsynced.
    public func writeFile(_ name: String, contents: String) throws(SafeTensorsError) {
        let target = path(name)
        let fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SafeTensorsError(path: target, reason: .system(operation: "create", errno: errno)) }
        defer { close(fd) }
        let bytes = Array(contents.utf8)
        var done = 0
        while done < bytes.count {
            let w = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if w < 0 && errno == EINTR { continue }
            guard w > 0 else { throw SafeTensorsError(path: target, reason: .system(operation: "write", errno: errno)) }
            done += w
        }
        guard fsync(fd) == 0 else { throw SafeTensorsError(path: target, reason: .system(operation: "fsync", errno: errno)) }
    }

    /// Fsyncs the directory, renames it to ``destination`` (never replacing an existing
    /// one) and fsyncs the parent so the rename survives a crash.
    public func publish() throws(SafeTensorsError) {
        try Self.fsyncDirectory(temporary)
        guard retaind_rename_noreplace(temporary, destination) == 0 else {
            throw SafeTensorsError(path: destination, reason: .system(operation: "rename into place", errno: errno))
        }
        try Self.fsyncDirectory(Self.split(destination).parent)
    }

    /// Removes the temporary directory and everything in it.
    public func abandon() {
        Self.removeTree(temporary)
    }

    /// Removes temporaries left beside `destination` by processes that no longer run.
    public static func removeStaleTemporaries(for destination: String) {
        let (parent, name) = split(destination)
        let prefix = "." + name + marker
        guard let dir = opendir(parent) else { return }
        var stale: [String] = []
        while let entry = readdir(dir) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard entryName.hasPrefix(prefix) else { continue }
            let pidText = entryName.dropFirst(prefix.count).prefix { $0 != "-" }
            if let pid = pid_t(pidText), pid == getpid() || kill(pid, 0) == 0 || errno == EPERM { continue }
            stale.append(parent + "/" + entryName)
        }
        closedir(dir)
        stale.forEach(removeTree)
    }

    static func split(_ path: String) -> (parent: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let parent = String(path[..<slash])
        return (parent.isEmpty ? "/" : parent, String(path[path.index(after: slash)...]))
    }

    static func makeDirectories(_ path: String) -> Bool {
        if SmallFile.exists(path) { return true }
        let parent = split(path).parent
        if parent != path && !makeDirectories(parent) { return false }
        return mkdir(path, 0o755) == 0 || errno == EEXIST
    }

    static func fsyncDirectory(_ path: String) throws(SafeTensorsError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SafeTensorsError(path: path, reason: .system(operation: "open directory", errno: errno)) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SafeTensorsError(path: path, reason: .system(operation: "fsync", errno: errno)) }
    }

    /// Deletes `path` recursively without following symlinks.
    static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR, let dir = opendir(path) {
            var children: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name != "." && name != ".." { children.append(path + "/" + name) }
            }
            closedir(dir)
            children.forEach(removeTree)
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
