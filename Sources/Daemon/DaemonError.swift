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
    /// The history's directory cannot be created.
    case historyDirectory(database: String, SystemError)
    /// Another daemon holds the history's lock.
    case alreadyRunning(pid: Int32?, database: String)

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
        case .historyDirectory(let database, let error):
            return "history database \(database): cannot create \(error.path ?? ""): \(error.message)"
        case .alreadyRunning(let pid, let database):
            let who = pid.map { "another retaind (pid \($0))" } ?? "another retaind"
            return "\(who) already uses the history \(database) (lock \(database).lock); stop it, or give this one its own store.database"
        case .nothingToWatch:
            return "no watch can run; fix the errors above and reload (systemctl reload retaind)"
        }
    }
}
