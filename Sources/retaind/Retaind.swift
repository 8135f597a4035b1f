import ArgumentParser
import Daemon
import Foundation
import Journal
import SystemCalls

/// The `retaind` command line: the daemon and its one-off tools.
@main
struct Retaind: AsyncParsableCommand {
    static let version = RetaindVersion.current

    static let configuration = CommandConfiguration(
        commandName: "retaind",
        abstract: "Measure and repair the retention damage of LLM unlearning checkpoints.",
        discussion: """
            Exit codes: 0 success; 1 the input was read and refused (the reason is printed); \
            64 bad usage.
            """,
        version: version,
        subcommands: [RunCommand.self, WaitCommand.self, HistoryCommand.self, ShowCommand.self, RunsCommand.self, ReportCommand.self,
                      RetryCommand.self, CentralCommand.self, CheckConfigCommand.self, DriftCommand.self,
                      RestoreCommand.self, ProfileCommand.self, EvalCommand.self, InspectCommand.self]
    )

    /// A subcommand throws what refused its input; ArgumentParser prints it as
    /// `error: <reason>` on stderr and exits 1 (64 for bad usage).
    static var _errorPrefix: String { "error: " }

    /// ArgumentParser's `main`, with error messages escaped line by line
    /// (``ControlCharacters``): a reason that quotes a hostile tensor or file name cannot
    /// send escape sequences to the terminal.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            guard code != .success, !(error is ExitCode) else { exit(withError: error) }
            let lines = fullMessage(for: error).split(separator: "\n", omittingEmptySubsequences: false)
            StandardError.write(lines.map { ControlCharacters.escaped(String($0)) }.joined(separator: "\n") + "\n")
            Foundation.exit(code.rawValue)
        }
    }
}
