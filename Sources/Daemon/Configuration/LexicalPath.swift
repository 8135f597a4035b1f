/// Absolute paths tidied by their text alone: `.` and empty components dropped, `..`
/// taken back a level. Symlinks are never resolved (Foundation's `standardizingPath`
/// does resolve them): a watched root that is a symlink stays the link, so re-pointing
/// it takes effect at the next rescan, and the history keys checkpoints by the paths
/// operators wrote.
public enum LexicalPath {
    /// `path` (absolute) normalized; `relative` paths are first taken from `directory`.
    public static func normalized(_ path: String, relativeTo directory: String? = nil) -> String {
        let absolute = path.hasPrefix("/") || directory == nil ? path : directory! + "/" + path
        var parts: [Substring] = []
        for part in absolute.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
