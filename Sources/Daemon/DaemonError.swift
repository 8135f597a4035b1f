#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

/// Why the daemon (not a checkpoint) failed, with what to do about it.
public enum DaemonError: Error, CustomStringConvertible, Sendable {
    /// A system call failed.
    case system(SystemError)
    /// A watch cannot run (its base or profile is unusable); the other watches go on.
    case watchDisabled(watch: String, reason: String)
    /// No watch can run.
    case nothingToWatch

    public var description: String {
        switch self {
        case .system(let error):
            var text = "\(error)"
            if error.errno == ENOSPC && error.operation == "inotify_add_watch" {
                text += " (raise fs.inotify.max_user_watches; the periodic rescan still finds checkpoints)"
            }
            return text
        case .watchDisabled(let watch, let reason):
            return "watch “\(watch)” disabled: \(reason)"
        case .nothingToWatch:
            return "no watch can run; fix the errors above and reload (systemctl reload retaind)"
        }
    }
}
