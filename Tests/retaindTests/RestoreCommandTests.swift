import Foundation
import SafeTensors
import Testing

/// `retaind restore` as a process: a kill or a full disk never leaves a partial output.
@Suite(.serialized) struct RestoreCommandTests {
    static let fixtures = DriftCommandTests.fixtures

    /// `retaind restore` of the BF16 fixture candidate with a forget profile into `out`.
    static func arguments(out: String) -> [String] {
        ["restore", "--base", fixtures + "base", "--candidate", fixtures + "cand-bf16", "--profile", fixtures + "retain.profile.safetensors",
         "--forget-profile", fixtures + "forget.profile.safetensors", "--alpha", "10", "--out", out]
    }

    @Test func restore_printsFiguresAndWritesProvenance() throws {
        let out = NSTemporaryDirectory() + "/retaind-restore-" + UUID().uuidString
        let result = try RetaindProcess.run(Self.arguments(out: out) + ["--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        for key in ["drift", "drift_after", "forget_kept", "update_kept", "alpha", "gamma", "fingerprint", "base_fingerprint", "modules"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(FileManager.default.fileExists(atPath: out + "/retaind.json"))
        // Again into the same place: refused, the first output untouched.
        let again = try RetaindProcess.run(Self.arguments(out: out))
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists"))
    }

    @Test func alphaAndTargetDrift_excludeEachOther() throws {
        let out = NSTemporaryDirectory() + "/retaind-restore-" + UUID().uuidString
        let both = try RetaindProcess.run(Self.arguments(out: out) + ["--target-drift", "0.001"])
        #expect(both.status == 64, "\(both.stderr)")
        #expect(both.stderr.contains("--alpha and --target-drift exclude each other"), "\(both.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func sigkillAtAnyPoint_leavesNoDestination() throws {
        let parent = NSTemporaryDirectory() + "/retaind-kill-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        // Kills from process start to past completion: during profile loading, the drift
        // pass, the auto-dtype pass, writing, and after publishing.
        for (i, delay) in [0.0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.4].enumerated() {
            let out = parent + "/restored-\(i)"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: RetaindProcess.executable)
            process.arguments = Self.arguments(out: out)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // Either the whole checkpoint is there (it finished first) or nothing is.
            if FileManager.default.fileExists(atPath: out) {
                #expect(FileManager.default.fileExists(atPath: out + "/retaind.json"), "a destination without provenance at delay \(delay)")
                #expect((try? Checkpoint.open(out)) != nil)
            }
        }
        // The next run removes what killed runs left behind and completes.
        let out = parent + "/restored-final"
        #expect(try RetaindProcess.run(Self.arguments(out: out)).status == 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: parent).filter { $0.hasPrefix(".restored-final") }
        #expect(leftovers.isEmpty)
    }

    @Test func fileSizeLimit_isACleanErrorWithNoOutput() throws {
        let out = NSTemporaryDirectory() + "/retaind-efbig-" + UUID().uuidString + "/restored"
        try FileManager.default.createDirectory(atPath: (out as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // 64 KiB per file: the weights (≈ 300 KiB) cannot be written.
        let command = "ulimit -f 64; exec \"$0\" \"$@\""
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", command, RetaindProcess.executable] + Self.arguments(out: out)
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1, "\(stderr)")
        #expect(stderr.contains("File too large"), "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        let parent = (out as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).isEmpty, "the temporary was removed")
    }
}
