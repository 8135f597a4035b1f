import Foundation

/// The real journald, read back with `journalctl -o json`.
enum Journal {
    /// Starts `systemd-journald` standalone when none runs and the tests run as root (as
    /// `.ci/run` does); returns whether a journal is there to read.
    @discardableResult
    static func ensureRunning() -> Bool {
        if isRunning() { return true }
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/lib/systemd/systemd-journald") else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/lib/systemd/systemd-journald")
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()
        for _ in 0..<50 where !isRunning() { Thread.sleep(forTimeInterval: 0.1) }
        return isRunning()
    }

    private static func isRunning() -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
        process.arguments = ["-x", "systemd-journal"]
        process.standardOutput = FileHandle.nullDevice
        try? process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// Every entry of process `pid`, oldest first, as field → value.
    static func entries(pid: Int32) -> [[String: String]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/journalctl")
        process.arguments = ["-o", "json", "--no-pager", "_PID=\(pid)"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try? process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return object.compactMapValues { $0 as? String }
        }
    }

    /// Waits until `predicate` holds for the entries of `pid`, and returns them.
    @discardableResult
    static func wait(pid: Int32, timeout: Double = 30, until predicate: ([[String: String]]) -> Bool) throws -> [[String: String]] {
        let deadline = Date().addingTimeInterval(timeout)
        var entries: [[String: String]] = []
        while Date() < deadline {
            entries = Self.entries(pid: pid)
            if predicate(entries) { return entries }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw HarnessError.timeout("journal entries of pid \(pid) did not arrive within \(timeout) s; have \(entries.map { $0["MESSAGE"] ?? "" })")
    }
}
