import Foundation

/// The real journald for tests: started standalone when the tests run as root (as CI
/// does), read back with `journalctl -o json`.
public enum JournalProcess {
    /// Starts `systemd-journald` when none runs; whether a journal is there.
    @discardableResult
    public static func ensureRunning() -> Bool {
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

    /// Runs `journalctl` with `arguments`; its standard output.
    public static func journalctl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/journalctl")
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Entries matching `journalctl` match expressions (`FIELD=value`, `_PID=…`), oldest first.
    public static func entries(matching matches: [String]) -> [[String: String]] {
        let text = (try? journalctl(["-o", "json", "--no-pager"] + matches)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            // journald sends non-UTF-8 or multi-line-unsafe values as byte arrays.
            return object.compactMapValues { value in
                if let string = value as? String { return string }
                if let bytes = value as? [Int] { return String(decoding: bytes.map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self) }
                return nil
            }
        }
    }

    /// Waits for the entry with `field=value`.
    public static func waitForEntry(field: String, value: String, timeout: Double = 10) throws -> [String: String] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let entry = entries(matching: ["\(field)=\(value)"]).first { return entry }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw JournalTimeout(description: "no journal entry with \(field)=\(value) within \(timeout) s")
    }

    /// Waits until `predicate` holds for the entries matching `matches`; returns them.
    @discardableResult
    public static func wait(matching matches: [String], timeout: Double = 30,
                            until predicate: ([[String: String]]) -> Bool) throws -> [[String: String]] {
        let deadline = Date().addingTimeInterval(timeout)
        var found: [[String: String]] = []
        while Date() < deadline {
            found = entries(matching: matches)
            if predicate(found) { return found }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw JournalTimeout(description: "journal entries matching \(matches) did not arrive within \(timeout) s; have \(found.map { $0["MESSAGE"] ?? "" })")
    }
}

/// A journal entry that did not arrive in time.
public struct JournalTimeout: Error, CustomStringConvertible {
    public let description: String
}
