import SystemCalls

/// Why the history database could not be used, with what to do about it.
public struct HistoryError: Error, CustomStringConvertible, Sendable {
    /// The database file.
    public let path: String
    public let reason: Reason

    public enum Reason: Sendable {
        /// A read-only command found no database: the daemon has not run with this config.
        case missing
        /// SQLite refused (corrupt file, permissions, full disk, newer schema).
        case sqlite(String)
        /// The database's directory could not be created.
        case system(SystemError)
        /// The file was deleted or replaced while open: writing on would go to a file no
        /// one can read.
        case replaced
        /// The file is not a retaind history (another SQLite database, or not SQLite).
        case notAHistory(String)
    }

    public var description: String {
        switch reason {
        case .missing:
            "no history database at \(path): has `retaind run` been started with this configuration?"
        case .sqlite(let message):
            "history database \(path): \(message)"
        case .system(let error):
            "history database \(path): cannot create \(error.path ?? ""): \(error.message)"
        case .replaced:
            "history database \(path) was deleted or replaced while the daemon had it open; restart retaind (it creates or opens the file anew)"
        case .notAHistory(let detail):
            "\(path) is not a retaind history database (\(detail)); point store.database at a new file or at retaind's own"
        }
    }
}
