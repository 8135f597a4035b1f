import ArgumentParser
import CentralHistory
import Daemon
import Logging

/// `--central` and `--host`: read the fleet's history in `[store.central]` instead of
/// this host's SQLite file.
struct CentralOptions: ParsableArguments {
    @Flag(help: "Read the central PostgreSQL history of [store.central]: every host's outcomes, with a host column.")
    var central = false

    @Option(help: "With --central: only this host's outcomes.")
    var host: String?

    func validate() throws {
        if host != nil, !central { throw ValidationError("--host needs --central") }
    }

    /// Connects to `configuration`'s central history; throws the reason.
    static func connect(_ configuration: Configuration) async throws -> CentralConnection {
        guard let settings = configuration.store.central else {
            throw Failure("\(configuration.path) has no [store.central]: nothing to read with --central")
        }
        var quiet = Logger(label: "retaind.central")
        quiet.logLevel = .critical
        return try await CentralConnection.open(settings, logger: quiet)
    }
}

/// `retaind central`: the fleet's history in PostgreSQL.
struct CentralCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "central",
        abstract: "Manage the central PostgreSQL history that every host's daemon delivers to.",
        subcommands: [CentralMigrateCommand.self]
    )
}

/// `retaind central migrate`: creates or upgrades the central tables (an operator's
/// step, as the tables' owner; the daemons' role needs only INSERT and SELECT).
struct CentralMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the central history's tables, and grant a daemon role what it needs.",
        discussion: """
            Connects with [store.central] of --config, or with --url and --password-file (the \
            owner's), applies the migrations not applied yet, and with --grant ROLE grants that \
            role INSERT and SELECT on the tables. Safe to run again.
            """
    )

    @OptionGroup var state: StateOptions

    @Option(help: "Connect as this URL instead of [store.central]'s (postgresql://owner@server:5432/database).")
    var url: String?

    @Option(help: "With --url: the file holding that user's password.")
    var passwordFile: String?

    @Option(help: "Grant this role SELECT and INSERT on the central tables (the role in the daemons' url).")
    var grant: String?

    func run() async throws {
        let configuration = try state.loadConfiguration()
        var settings: CentralSettings
        if let url {
            let base = configuration.store.central
            settings = try CentralSettings(url: url, passwordFile: passwordFile, tls: base?.tls ?? .verifyFull, caFile: base?.caFile, host: base?.host)
        } else {
            guard let central = configuration.store.central else {
                throw Failure("\(configuration.path) has no [store.central]; add it, or pass --url")
            }
            settings = central
            if let passwordFile { settings.passwordFile = passwordFile }
        }
        var quiet = Logger(label: "retaind.central")
        quiet.logLevel = .critical
        let connection = try await CentralConnection.open(settings, logger: quiet)
        do {
            let applied = try await connection.migrate(grantTo: grant)
            await connection.close()
            print(applied.isEmpty ? "\(settings.destination): schema up to date" : applied.map { "applied: \($0)" }.joined(separator: "\n"))
            if let grant { print("granted SELECT, INSERT to \(grant)") }
        } catch {
            await connection.close()
            throw error
        }
    }
}
