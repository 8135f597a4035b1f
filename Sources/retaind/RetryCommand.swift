import ArgumentParser
import Journal
import Daemon
import Foundation
import History

/// `retaind retry`: asks the running daemon to redo one checkpoint.
struct RetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Ask the daemon to process a checkpoint again (after fixing what made it fail).",
        discussion: """
            Marks the checkpoint's newest outcome in the history to be redone now and sends \
            SIGUSR1 to the daemon holding the history, which looks at its checkpoints at once \
            (without a running daemon, the next start does it). The new outcome replaces the \
            old one. Failures on the daemon's side (`error`) are retried by themselves, \
            store.retry_attempts times with backoff; use this for what cannot heal alone, such \
            as a checkpoint rejected while a file was unreadable. Needs write access to the \
            history: run it as root or as the daemon's user.
            """
    )

    @OptionGroup var state: StateOptions

    @Argument(help: "The checkpoint's path, or its fingerprint (a prefix of 8+ hex digits will do).")
    var key: String

    func run() throws {
        let configuration = try state.loadConfiguration()
        guard FileManager.default.fileExists(atPath: configuration.store.database) else {
            throw Failure("no history database at \(configuration.store.database): has `retaind run` been started with this configuration?")
        }
        let history = try HistoryStore(path: configuration.store.database)
        let absolute = WorkingDirectory.absolute(key)
        guard let record = try history.requestRetry(matching: key) ?? history.requestRetry(matching: LexicalPath.normalized(absolute)) else {
            throw Failure("no outcome for \(key) in \(history.path)")
        }
        let previous = "\(record.status.rawValue)\(record.error.map { ": \($0)" } ?? "")"
        print(ControlCharacters.escaped("\(record.path): marked to redo (was \(previous))"))
        if let pid = DaemonServices.runningDaemon(database: configuration.store.database), kill(pid, SIGUSR1) == 0 {
            print("told retaind (pid \(pid)); `retaind wait \(ControlCharacters.escaped(record.path))` waits for the new outcome")
        } else {
            print("no retaind runs on this history: it is redone when the daemon next starts")
        }
    }
}
