import ArgumentParser
import Daemon
import History

/// `--config`, shared by every command that reads the daemon's state: the database is
/// the one the daemon's configuration names.
struct StateOptions: ParsableArguments {
    @Option(help: "The daemon's configuration file (default $RETAIND_CONFIG or /etc/retaind/retaind.toml).")
    var config: String = Configuration.defaultPath

    /// The configuration; throws the reason (the command exits 1 with it).
    func loadConfiguration() throws -> Configuration {
        try Configuration.load(path: config)
    }

    /// Opens the history read-only; throws the reason (the command exits 1 with it).
    func openHistory() throws -> HistoryStore {
        try openHistory(loadConfiguration())
    }

    /// Opens `configuration`'s history read-only.
    func openHistory(_ configuration: Configuration) throws -> HistoryStore {
        try HistoryStore(readingFrom: configuration.store.database)
    }
}
