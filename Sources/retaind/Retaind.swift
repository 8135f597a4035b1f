import ArgumentParser
import Daemon

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
        subcommands: [RunCommand.self, WaitCommand.self, HistoryCommand.self, ShowCommand.self, RunsCommand.self, RetryCommand.self, CheckConfigCommand.self, DriftCommand.self,
                      RestoreCommand.self, ProfileCommand.self, EvalCommand.self, InspectCommand.self]
    )

    /// A subcommand throws what refused its input; ArgumentParser prints it as
    /// `error: <reason>` on stderr and exits 1 (64 for bad usage).
    static var _errorPrefix: String { "error: " }
}
