import Foundation

/// The current directory as the user's shell spells it: `$PWD` when it names the same
/// directory as `.` (getcwd resolves symlinks, but watched roots are kept as written),
/// else the physical path.
enum WorkingDirectory {
    static var path: String {
        let physical = FileManager.default.currentDirectoryPath
        guard let logical = ProcessInfo.processInfo.environment["PWD"], logical.hasPrefix("/") else { return physical }
        var a = stat(), b = stat()
        guard stat(logical, &a) == 0, stat(".", &b) == 0, a.st_dev == b.st_dev, a.st_ino == b.st_ino else { return physical }
        return logical
    }

    /// `path` made absolute against the current directory.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : self.path + "/" + path
    }
}
