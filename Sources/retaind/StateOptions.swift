import ArgumentParser
import Daemon
import History

/// `--config`, shared by every command that reads the daemon's state: the database is
/// the one the daemon's configuration names.
struct StateOptions: ParsableArguments {
    @Option(help: "The daemon's configuration file (default $RETAIND_CONFIG or /etc/retaind/retaind.toml).")
    var config: String = Configuration.defaultPath

    /// Opens the history read-only; throws the reason (the command exits 1 with it).
    func openHistory() throws -> HistoryStore {
        try HistoryStore(readingFrom: Configuration.load(path: config).store.database)
    }
}
