import ArgumentParser
import Daemon
import History

/// `--config`, shared by every command that reads the daemon's state: the database is
/// the one the daemon's configuration names.
struct StateOptions: ParsableArguments {
    @Option(help: "The daemon's configuration file (default $RETAIND_CONFIG or /etc/retaind/retaind.toml).")
    var config: String = Configuration.defaultPath

    /// Opens the history read-only, or exits 1 with the reason.
    func openHistory() throws -> HistoryStore {
        do {
            let configuration = try Configuration.load(path: config)
            return try HistoryStore(readingFrom: configuration.store.database)
        } catch {
            Output.error("error: \(error)")
            throw ExitCode(1)
        }
    }
}
