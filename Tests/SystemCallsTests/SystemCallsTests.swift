import Foundation
import SystemCalls
import Testing

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
