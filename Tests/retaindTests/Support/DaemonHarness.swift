import Foundation
import History
import TestSupport

/// A `retaind run` process with its own configuration, state directory, watched roots
/// and a real `NOTIFY_SOCKET`, as systemd would start it.
final class DaemonHarness: @unchecked Sendable {
    static let fixtures = PythonScript.repositoryRoot + "/Tests/Fixtures/tiny-llama/"

    /// The test's directory: `runs/` (watched), `state/` (history, restored), `staging/`.
    let directory: String
    let notify: NotifySocket
    var configPath: String { directory + "/retaind.toml" }
    var runs: String { directory + "/runs" }
    var staging: String { directory + "/staging" }
    var database: String { directory + "/state/history.sqlite" }
    var outputRoot: String { directory + "/state/restored" }
    private(set) var process: Process?

    init(name: String) throws {
        directory = "/tmp/retaind-\(name)-\(UUID().uuidString.prefix(8))"
        for dir in [directory, directory + "/runs", directory + "/staging"] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        notify = try NotifySocket(directory: directory)
        JournalProcess.ensureRunning()
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// One `[[watch]]` block.
    static func watch(name: String, dirs: [String], threshold: Double = 0.001, settle: Double = 1, stalled: Double = 3,
                      rescan: Double = 30, extra: String = "") -> String {
        """
        [[watch]]
        name = "\(name)"
        dirs = [\(dirs.map { "\"\($0)\"" }.joined(separator: ", "))]
        base = "\(fixtures)base"
        retain_profile = "\(fixtures)retain.profile.safetensors"
        forget_profile = "\(fixtures)forget.profile.safetensors"
        settle_seconds = \(settle)
        stalled_seconds = \(stalled)
        rescan_seconds = \(rescan)
        \(extra)
        [watch.gate]
        threshold = \(threshold)

        """
    }

    /// Writes the configuration: `[store]` under `state/` plus `watches`.
    func writeConfig(_ watches: String) throws {
        let text = """
            [store]
            database = "\(database)"

            \(watches)
            """
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Starts the daemon and waits for READY=1.
    func start(watchdogMicroseconds: Int? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: RetaindProcess.executable)
        process.arguments = ["run", "--config", configPath]
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = notify.path
        environment["RETAIND_DEBUG"] = "1"
        if let watchdogMicroseconds { environment["WATCHDOG_USEC"] = String(watchdogMicroseconds) }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let readyBefore = notify.all.count
        try process.run()
        self.process = process
        try notify.wait(for: "READY=1", after: readyBefore)
    }

    var pid: Int32 { process!.processIdentifier }
    var isRunning: Bool { process?.isRunning ?? false }
    var exitStatus: Int32? { process.flatMap { $0.isRunning ? nil : $0.terminationStatus } }

    /// Sends `signal` and, for SIGTERM/SIGKILL, waits for the exit; returns the status.
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM, timeout: Double = 60) throws -> Int32 {
        guard let process else { return 0 }
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        guard !process.isRunning else { throw HarnessError.timeout("retaind did not exit within \(timeout) s of signal \(signal)") }
        return process.terminationStatus
    }

    /// Every outcome row (any status), read the way `retaind history` reads them.
    func rows() throws -> [CheckpointRecord] {
        guard FileManager.default.fileExists(atPath: database) else { return [] }
        return try HistoryStore(readingFrom: database).records()
    }

    /// Waits until `count` rows have a final status; returns all rows.
    @discardableResult
    func waitForOutcomes(_ count: Int, timeout: Double = 60) throws -> [CheckpointRecord] {
        let deadline = Date().addingTimeInterval(timeout)
        var rows: [CheckpointRecord] = []
        while Date() < deadline {
            rows = try self.rows()
            if rows.filter({ $0.status != .processing }).count >= count { return rows }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw HarnessError.timeout("\(count) outcomes did not arrive within \(timeout) s; have \(rows.map { "\($0.path): \($0.status)" })")
    }

    /// Moves a checkpoint built in `staging/` into the watched tree in one rename.
    func moveIn(_ name: String, to destination: String? = nil) throws {
        let target = destination ?? runs + "/" + name
        guard rename(staging + "/" + name, target) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }
}
