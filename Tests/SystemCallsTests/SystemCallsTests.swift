import Foundation
import SystemCalls
import Testing
import TestSupport

/// The system-call layer, on real files in a temporary directory.
@Suite final class SystemCallsTests {
    let root = NSTemporaryDirectory() + "retaind-syscalls-" + UUID().uuidString

    init() throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func isDirectory(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
    }

    // MARK: Syscall, SystemError

    @Test func failingCall_throwsItsOperationPathAndErrno() {
        let missing = root + "/x/y"
        #expect(throws: SystemError("open", path: missing, errno: ENOENT)) {
            try Syscall.retrying("open", path: missing) { open(missing, O_RDONLY | O_CLOEXEC) }
        }
        #expect(SystemError("open", path: "/x/y", errno: ENOENT).description == "open /x/y: No such file or directory")
        #expect(SystemError("pipe", errno: EMFILE).description == "pipe: Too many open files")
    }

    @Test func interruptedCall_isMadeAgain() throws {
        var calls = 0
        let result = try Syscall.retrying("read") { () -> Int in
            calls += 1
            if calls < 3 {
                errno = EINTR
                return -1
            }
            return 7
        }
        #expect(result == 7)
        #expect(calls == 3)
    }

    // MARK: openRegularFile, readRegularFile

    /// `openRegularFile(path)` run with a one-second deadline: the descriptor (closed) or
    /// the error. A call that blocks fails the test (and the FIFO is then unblocked).
    private func openWithin(_ path: String, flags: Int32 = O_RDONLY) -> Result<Int32, any Error>? {
        let started = Date()
        let result = SpecialFiles.finish(onTimeout: { SpecialFiles.unblock(fifo: path) }) {
            let fd = try FileSystem.openRegularFile(path, flags: flags)
            close(fd)
            return fd
        }
        if result == nil { Issue.record("openRegularFile(\(path)) blocked") }
        #expect(Date().timeIntervalSince(started) < 1.5)
        return result
    }

    private func expectRefused(_ path: String, flags: Int32 = O_RDONLY, as kind: FileKind, errno code: Int32 = EINVAL) {
        guard case .failure(let error)? = openWithin(path, flags: flags) else {
            Issue.record("\(path) (\(kind)) was opened")
            return
        }
        let failure = error as? SystemError
        #expect(failure == SystemError.notARegularFile(path: path, kind: kind))
        #expect(failure?.fileKind == kind)
        #expect(failure?.errno == code)
        #expect(failure?.description == "open \(path): not a regular file (\(kind))")
    }

    @Test func openRegularFile_refusesAFIFOAtOnce_forReadingAndForWriting() throws {
        let fifo = root + "/model.safetensors"
        try SpecialFiles.fifo(fifo)
        expectRefused(fifo, as: .fifo)
        expectRefused(fifo, flags: O_WRONLY, as: .fifo)
        expectRefused(fifo, flags: O_RDWR, as: .fifo)
        #expect(SystemError.notARegularFile(path: fifo, kind: .fifo).description == "open \(fifo): not a regular file (a FIFO)")
    }

    @Test func openRegularFile_refusesASocketADeviceAndADirectory() throws {
        let socketPath = root + "/config.json"
        let fd = try SpecialFiles.socket(socketPath)
        defer { close(fd) }
        expectRefused(socketPath, as: .socket)
        #expect(FileKind.socket.description == "a socket")
        expectRefused("/dev/null", as: .characterDevice)
        #expect(SystemError.notARegularFile(path: "/dev/null", kind: .characterDevice).description
                == "open /dev/null: not a regular file (a character device)")
        try FileSystem.makeDirectories(root + "/dir")
        expectRefused(root + "/dir", as: .directory, errno: EISDIR)
        #expect(FileKind.blockDevice.description == "a block device")
    }

    @Test func openRegularFile_followsASymlinkToARegularFile_butNotToAFIFO() throws {
        let file = root + "/real.json"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("{}".utf8)))
        try FileManager.default.createSymbolicLink(atPath: root + "/link.json", withDestinationPath: "real.json")
        guard case .success? = openWithin(root + "/link.json") else {
            Issue.record("a symlink to a regular file was refused")
            return
        }
        let fd = try FileSystem.openRegularFile(root + "/link.json")
        defer { close(fd) }
        #expect(fcntl(fd, F_GETFL) & O_NONBLOCK == 0, "O_NONBLOCK is cleared once the file is known to be regular")
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
        var bytes: [UInt8] = [0, 0, 0]
        #expect(read(fd, &bytes, 3) == 2 && bytes[0..<2] == [UInt8(ascii: "{"), UInt8(ascii: "}")])

        try SpecialFiles.fifo(root + "/pipe")
        try FileManager.default.createSymbolicLink(atPath: root + "/pipe-link", withDestinationPath: "pipe")
        expectRefused(root + "/pipe-link", as: .fifo)
        #expect(throws: SystemError("open", path: root + "/link.json", errno: ELOOP)) {
            try FileSystem.openRegularFile(root + "/link.json", flags: O_RDONLY | O_NOFOLLOW)
        }
        #expect(throws: SystemError("open", path: root + "/missing", errno: ENOENT)) { try FileSystem.openRegularFile(root + "/missing") }
    }

    @Test func readRegularFile_readsAll_refusesOverTheLimitAndSpecialFiles() throws {
        let file = root + "/config.json"
        let payload = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(FileManager.default.createFile(atPath: file, contents: Data(payload)))
        #expect(try FileSystem.readRegularFile(file, limit: payload.count) == payload)
        do {
            _ = try FileSystem.readRegularFile(file, limit: payload.count - 1)
            Issue.record("a file over the limit was read")
        } catch {
            #expect(error.errno == EFBIG)
            #expect(error.description == "read \(file): file is 100000 bytes, over the 99999-byte limit")
        }
        try SpecialFiles.fifo(root + "/fifo")
        let result = SpecialFiles.finish(onTimeout: { SpecialFiles.unblock(fifo: self.root + "/fifo") }) { [root] in
            try FileSystem.readRegularFile(root + "/fifo", limit: 1 << 20)
        }
        guard case .failure(let error)? = result else {
            Issue.record("readRegularFile of a FIFO blocked or succeeded")
            return
        }
        #expect((error as? SystemError)?.fileKind == .fifo)
        #expect(try FileSystem.fileKind(root + "/fifo") == .fifo)
        #expect(try FileSystem.fileKind(file) == .regular)
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: "fifo")
        #expect(try FileSystem.fileKind(root + "/link") == .fifo)
        #expect(try FileSystem.fileKind(root + "/link", followingSymlinks: false) == .symbolicLink)
    }

    // MARK: makeDirectories

    @Test func makeDirectories_createsNestedDirectoriesAndAcceptsExistingOnes() throws {
        let nested = root + "/a/b/c"
        try FileSystem.makeDirectories(nested)
        #expect(isDirectory(nested))
        try FileSystem.makeDirectories(nested)
        try FileSystem.makeDirectories(root + "/a/b/")
        let attributes = try FileManager.default.attributesOfItem(atPath: nested)
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o750 } == 0o750)
    }

    @Test func makeDirectories_throughAFile_failsWithNotADirectory() throws {
        let file = root + "/plain"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        #expect(throws: SystemError("mkdir", path: file, errno: ENOTDIR)) {
            try FileSystem.makeDirectories(file + "/sub/deeper")
        }
        do {
            try FileSystem.makeDirectories(file)
            Issue.record("a file where the directory should be was accepted")
        } catch {
            #expect(error.description == "mkdir \(file): Not a directory")
        }
    }

    // MARK: removeRecursively

    @Test func removeRecursively_removesTheTreeButNotWhatASymlinkPointsAt() throws {
        let outside = root + "/outside"
        try FileSystem.makeDirectories(outside)
        #expect(FileManager.default.createFile(atPath: outside + "/keep", contents: Data("keep".utf8)))
        let tree = root + "/tree"
        try FileSystem.makeDirectories(tree + "/inner")
        #expect(FileManager.default.createFile(atPath: tree + "/inner/file", contents: Data("x".utf8)))
        try FileManager.default.createSymbolicLink(atPath: tree + "/link", withDestinationPath: outside)
        FileSystem.removeRecursively(tree)
        #expect(!FileManager.default.fileExists(atPath: tree))
        #expect(FileManager.default.fileExists(atPath: outside + "/keep"), "the symlink's target stays")
        FileSystem.removeRecursively(root + "/never-existed")
    }

    // MARK: removeStaleTemporaries

    @Test func staleTemporaries_deadProcessesRemoved_liveChildKept() throws {
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let running = Process()
        running.executableURL = URL(fileURLWithPath: "/bin/sleep")
        running.arguments = ["30"]
        try running.run()
        defer {
            running.terminate()
            running.waitUntilExit()
        }
        let prefix = ".out.retaind-tmp-"
        let dead = root + "/\(prefix)\(finished.processIdentifier)-0"
        let live = root + "/\(prefix)\(running.processIdentifier)-0"
        let ours = root + "/\(prefix)\(getpid())-0"
        let other = root + "/.other.retaind-tmp-\(finished.processIdentifier)-0"
        for path in [dead + "/sub", live, ours, other] { try FileSystem.makeDirectories(path) }
        #expect(FileManager.default.createFile(atPath: dead + "/sub/file", contents: Data("x".utf8)))

        FileSystem.removeStaleTemporaries(in: root, prefix: prefix)
        #expect(!FileManager.default.fileExists(atPath: dead), "a dead process's temporary goes, with its contents")
        #expect(isDirectory(live), "a running process's temporary stays")
        #expect(isDirectory(ours), "our own temporary stays")
        #expect(isDirectory(other), "another prefix is not touched")
    }

    // MARK: writeAll

    @Test func writeAll_throughAPipe_deliversEveryByte() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        // Larger than a pipe's buffer, so writes are partial and the loop must go on.
        let payload = (0..<(1 << 20) + 12345).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let box = ReceivedBytes()
        let reader = Thread {
            var received: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                received += chunk[0..<n]
            }
            box.set(received)
        }
        reader.start()
        try payload.withUnsafeBytes { try FileSystem.writeAll(writeEnd, $0) }
        close(writeEnd)
        let received = box.wait()
        close(readEnd)
        #expect(received == payload)

        // A closed read end: the write fails with EPIPE, named.
        #expect(pipe(&fds) == 0)
        close(fds[0])
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous); close(fds[1]) }
        #expect(throws: SystemError("write", path: "pipe", errno: EPIPE)) {
            try [UInt8](repeating: 1, count: 16).withUnsafeBytes { try FileSystem.writeAll(fds[1], $0, path: "pipe") }
        }
    }
}

/// Bytes handed from the reader thread to the test.
final class ReceivedBytes: @unchecked Sendable {
    private let condition = NSCondition()
    private var bytes: [UInt8]?

    func set(_ value: [UInt8]) {
        condition.lock()
        bytes = value
        condition.signal()
        condition.unlock()
    }

    func wait() -> [UInt8] {
        condition.lock()
        defer {
            bytes = nil
            condition.unlock()
        }
        while bytes == nil { condition.wait() }
        return bytes!
    }
}
