import ArgumentParser
import Journal
import Daemon
import Foundation
import History

/// `retaind wait`: blocks until checkpoints have their verdicts; the exit status is the
/// gate a pipeline acts on.
struct WaitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait for checkpoints' verdicts from the running daemon; the exit status says what to do.",
        discussion: """
            Reads the history the daemon writes (as `history` does) and sleeps on inotify \
            until every PATH has an outcome for the files it holds now (an `error` that the \
            daemon will retry is waited through). A PATH no watch covers \
            is refused at once. With --latest, each PATH is a run directory and the checkpoint \
            is its newest one (highest step, then mtime), also one that appears later.

            Exit status (several paths: the highest wins; each verdict is printed):
              0    passed
              10   restored: use the restored checkpoint (its path is printed, and is
                   restored_path in --json)
              11   flagged: over threshold, restore disabled for the watch
              12   rejected: unreadable or incompatible (the reason is printed)
              13   vanished, or the daemon failed on it (error)
              14   unchanged: the run changed no profiled weight
              124  timed out with no outcome yet (--json says what it waits for)
              64   bad usage, or a path no watch covers
              1    the configuration or the history cannot be read
            """
    )

    @Argument(help: "Checkpoint directories (run directories with --latest).")
    var paths: [String]

    @Option(help: "Give up after this long: seconds, or 90s, 30m, 2h, 1d (default: wait forever).")
    var timeout: String?

    @Flag(help: "Each PATH is a run directory: wait for its newest checkpoint.")
    var latest = false

    @Flag(help: "Print the verdicts as a JSON array (docs/spec.md §7 names, status, path, restored_path, reason).")
    var json = false

    @OptionGroup var state: StateOptions

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("name at least one checkpoint (or run, with --latest)") }
        if let timeout, Duration.seconds(parsing: timeout) == nil {
            throw ValidationError("--timeout: “\(timeout)” is not a duration like 600, 90s, 30m, 2h or 1d")
        }
    }

    func run() throws {
        let configuration = try state.loadConfiguration()
        let history = try state.openHistory(configuration)
        let waiter = VerdictWaiter(history: history, configuration: configuration)
        let targets: [VerdictWaiter.Target] = paths.map { path in
            let absolute = WorkingDirectory.absolute(path)
            return latest ? .latest(run: absolute) : .checkpoint(absolute)
        }
        do {
            try waiter.check(targets)
        } catch {
            Output.error("error: \(error)")
            throw ExitCode(64)
        }
        let verdicts: [Verdict]
        do {
            verdicts = try waiter.wait(for: targets, timeout: timeout.flatMap(Duration.seconds(parsing:)))
        } catch {
            Output.error("error: \(error)")
            throw ExitCode(1)
        }
        if json {
            try Output.printJSON(verdicts)
        } else {
            for verdict in verdicts { print(ControlCharacters.escaped(verdict.summary)) }
        }
        let code = verdicts.map(\.exitCode).max() ?? 0
        if code != 0 { throw ExitCode(code) }
    }
}

extension Duration {
    /// Seconds in `text`: a plain number of seconds, or a number with s, m, h or d.
    static func seconds(parsing text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let unit = text.last, let scale = units[unit], let amount = Double(text.dropLast()), amount >= 0 { return amount * scale }
        if let seconds = Double(text), seconds >= 0 { return seconds }
        return nil
    }
}
