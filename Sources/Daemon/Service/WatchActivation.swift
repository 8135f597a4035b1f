import Foundation
import Journal
import Logging

/// Turns configured watches into active ones: loads each base and its profiles (reusing
/// loaded ones whose files did not change) and its verification data. A watch that
/// cannot run is logged with the reason and left out; the others go on.
struct WatchActivation: Sendable {
    let contexts: ContextCache
    let logger: Logger

    func activate(_ watches: [Configuration.Watch]) -> [ActiveWatch] {
        var active: [ActiveWatch] = []
        for watch in watches {
            for warning in watch.warnings {
                var metadata: Logger.Metadata = ["message_id": "\(MessageID.configurationWarning.rawValue)", "retaind.watch": "\(watch.name)"]
                metadata["retaind.dir"] = warning.dir.map { "\($0)" }
                logger.warning("\(warning)", metadata: metadata)
            }
            do {
                let context = try contexts.context(for: watch)
                let verification = try watch.verify.map { settings throws(DaemonError) in
                    try Verification.load(settings, watch: watch.name, base: watch.base)
                }
                let tuning = try watch.restore.tune.map { tune throws(DaemonError) in
                    try TuningData.load(tune, verify: watch.verify!, watch: watch.name, base: watch.base)
                }
                active.append(ActiveWatch(settings: watch, context: context, verification: verification, tuning: tuning))
            } catch {
                logger.error("\(error)", metadata: [
                    "message_id": "\(MessageID.daemonError.rawValue)", "retaind.watch": "\(watch.name)", "retaind.error": "\(error)",
                ])
            }
        }
        contexts.keep(active.map(\.context.key))
        if active.isEmpty {
            logger.error("\(DaemonError.nothingToWatch)", metadata: ["message_id": "\(MessageID.daemonError.rawValue)"])
        }
        return active
    }

    /// The `STATUS=` line: which watches run, of how many configured.
    static func summary(_ active: [ActiveWatch]?, _ configuration: Configuration) -> String {
        let names = active?.map(\.settings.name) ?? configuration.watches.map(\.name)
        return "watching \(names.count) of \(configuration.watches.count) watch\(configuration.watches.count == 1 ? "" : "es")"
            + (names.isEmpty ? "" : " (\(names.joined(separator: ", ")))")
    }
}
