#if canImport(Glibc)
import Glibc
#endif

/// A watch's `pattern`: one glob per directory level below a watched root
/// (`checkpoint-*` is one level, `*/checkpoint-*` two).
struct CheckpointPattern: Sendable, Equatable {
    let levels: [String]

    init(_ pattern: String) {
        levels = pattern.split(separator: "/").map(String.init)
    }

    /// Directory levels between a root and its checkpoints.
    var depth: Int { levels.count }

    /// Whether `name` matches level `level` (0-based); hidden names never do, so
    /// temporaries (`.name.retaind-tmp-…`) and editors' files are not candidates.
    func matches(_ name: String, level: Int) -> Bool {
        guard level < levels.count, !name.hasPrefix(".") else { return false }
        return fnmatch(levels[level], name, 0) == 0
    }
}
