import Foundation
import TestSupport

/// The daemon's journal entries, by process id.
enum Journal {
    static func entries(pid: Int32) -> [[String: String]] {
        JournalProcess.entries(matching: ["_PID=\(pid)"])
    }

    /// Waits until `predicate` holds for the entries of `pid`, and returns them.
    @discardableResult
    static func wait(pid: Int32, timeout: Double = 30, until predicate: ([[String: String]]) -> Bool) throws -> [[String: String]] {
        try JournalProcess.wait(matching: ["_PID=\(pid)"], timeout: timeout, until: predicate)
    }
}
