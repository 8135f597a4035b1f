import ArgumentParser
import Daemon
import Foundation
import History
import Retention

/// `retaind check-config`: validates a configuration before it is deployed or reloaded.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a configuration file: syntax, keys, types, and that its files exist.",
        discussion: """
            Exits 0 when the daemon would accept it, 1 with the key and line of the first \
            problem otherwise. Profiles are opened and checked; whether a profile matches its \
            base's fingerprint is checked when the daemon starts (it reads the whole base).
            """
    )

    @Argument(help: "The file (default $RETAIND_CONFIG or /etc/retaind/retaind.toml).")
    var file: String?

    func run() throws {
        let path = file ?? Configuration.defaultPath
        let configuration = try Configuration.load(path: path)
        var problems: [String] = []
        var warnings: [ConfigurationWarning] = []
        for watch in configuration.watches {
            warnings += watch.warnings
            if !FileManager.default.fileExists(atPath: watch.base) { problems.append("watch \(watch.name): base \(watch.base) does not exist") }
            for profile in [watch.retainProfile, watch.forgetProfile].compactMap({ $0 }) {
                do { _ = try RetainProfile.read(profile) } catch { problems.append("watch \(watch.name): \(error)") }
            }
        }
        // An existing history must be retaind's: the daemon would refuse to start on it.
        if FileManager.default.fileExists(atPath: configuration.store.database) {
            do {
                _ = try HistoryStore(readingFrom: configuration.store.database)
            } catch {
                // An older schema is fine: the daemon upgrades it at start.
                if case .sqlite(let message) = error.reason, message.contains("older retaind") {
                    print("note: \(error)")
                } else {
                    problems.append("store.database: \(error)")
                }
            }
        }
        print("\(path): \(configuration.watches.count) watch\(configuration.watches.count == 1 ? "" : "es"); history \(configuration.store.database); restored checkpoints under \(configuration.store.outputRoot)")
        for watch in configuration.watches {
            let mode = watch.restore.enabled
                ? (watch.restore.options.targetDrift.map { "restore to target_drift \($0)" } ?? "restore with alpha \(watch.restore.options.alpha)")
                : "no restore"
            print("  \(watch.name): \(watch.dirs.joined(separator: ", ")) / \(watch.pattern); threshold \(watch.gate.threshold); \(mode)")
        }
        for warning in warnings { print("warning: \(warning)") }
        guard problems.isEmpty else {
            for problem in problems { Output.error("error: \(problem)") }
            throw ExitCode(1)
        }
    }
}
