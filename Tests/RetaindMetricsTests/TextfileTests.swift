import Foundation
@testable import RetaindMetrics
import SystemCalls
import Testing

@Suite("Textfile: replaced whole, readable by the collector")
struct TextfileTests {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "textfile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    @Test("writes, replaces, leaves no temporary and is world-readable")
    func replaces() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = Textfile(path: directory + "/retaind.prom")
        let old = umask(0o077)
        defer { umask(old) }
        try file.write("a 1\n")
        try file.write("a 2\n")
        #expect(try String(contentsOfFile: file.path, encoding: .utf8) == "a 2\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["retaind.prom"])
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int)
        #expect(mode == 0o644)
    }

    @Test("a temporary left by a killed writer is removed")
    func staleTemporary() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // PID 2^22+1 is above Linux's pid_max default ceiling: never alive.
        let stale = directory + "/.retaind.prom.tmp-4194305"
        _ = FileManager.default.createFile(atPath: stale, contents: Data("x".utf8))
        try Textfile(path: directory + "/retaind.prom").write("a 1\n")
        #expect(!FileManager.default.fileExists(atPath: stale))
    }

    @Test("a missing directory is a SystemError naming the path")
    func missingDirectory() {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/absent/retaind.prom"
        #expect(throws: SystemError.self) { try Textfile(path: path).write("a 1\n") }
        do {
            try Textfile(path: path).write("a 1\n")
        } catch {
            #expect("\(error)".contains(directory + "/absent"), "\(error)")
        }
    }
}
