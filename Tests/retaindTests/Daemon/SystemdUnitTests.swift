import Foundation
import TestSupport
import Testing

/// `systemd/retaind.service` as systemd itself judges it.
struct SystemdUnitTests {
    static let unit = PythonScript.repositoryRoot + "/systemd/retaind.service"

    /// The unit with ExecStart pointing at the built binary (verify checks it exists).
    func installableCopy() throws -> String {
        let directory = NSTemporaryDirectory() + "retaind-unit-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let text = try String(contentsOfFile: Self.unit, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/retaind", with: RetaindProcess.executable)
        let path = directory + "/retaind.service"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func systemdAnalyze(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// `verify` exits 0 even when it prints errors: the output must be empty.
    @Test func verify_printsNothing() throws {
        let result = try systemdAnalyze(["verify", "--man=no", try installableCopy()])
        #expect(result.status == 0)
        #expect(result.output.isEmpty, "\(result.output)")
    }

    @Test func securityExposure_isUnder3() throws {
        let result = try systemdAnalyze(["security", "--offline=yes", try installableCopy()])
        let line = try #require(result.output.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let score = try #require(line.split(separator: " ").compactMap { Double($0) }.first, "\(line)")
        print("systemd-analyze security: \(line)")
        #expect(score < 3)
    }

    @Test func unit_isTypeNotifyWithWatchdogReloadAndAHardenedSandbox() throws {
        let text = try String(contentsOfFile: Self.unit, encoding: .utf8)
        for line in ["Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "User=retaind", "StateDirectory=retaind",
                     "ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes"] {
            #expect(text.split(separator: "\n").contains { $0 == line }, "missing \(line)")
        }
        #expect(text.contains("WatchdogSec="))
    }
}
