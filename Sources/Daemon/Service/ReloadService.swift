import Foundation
import Journal
import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP: re-reads the configuration file and applies it — watches added, changed or
/// removed, bases loaded or reused — telling systemd `RELOADING=1` then `READY=1`. A
/// file that does not check is refused with the reason, and the running configuration
/// stays.
struct ReloadService: Service {
    let hangups: UnixSignalsSequence
    let configurationPath: String
    let configuration: RunningConfiguration
    let activation: WatchActivation
    let processor: Processor
    let watcher: Watcher
    let metrics: MetricsPublisher
    let notifier: any ServiceNotifier
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in hangups { await reload() }
        }
    }

    /// One reload.
    func reload() async {
        notifier.reloading()
        let current = configuration.current
        var next: Configuration
        do {
            next = try Configuration.load(path: configurationPath)
        } catch {
            logger.error("configuration not reloaded, still running the previous one: \(error)", metadata: [
                "message_id": "\(MessageID.reloaded.rawValue)", "retaind.error": "\(error)", "retaind.config": "\(configurationPath)",
            ])
            notifier.ready(status: "reload refused (\(error)); \(WatchActivation.summary(nil, current))")
            return
        }
        if next.store.database != current.store.database {
            logger.warning("store.database changes take effect on restart; keeping \(current.store.database)",
                           metadata: ["message_id": "\(MessageID.configurationWarning.rawValue)"])
            next.store.database = current.store.database
        }
        let applied = next
        let active = await blocking { activation.activate(applied.watches) }
        processor.configure(active, outputRoot: applied.store.outputRoot, retry: .init(applied.store))
        await blocking { watcher.reconfigure(active.map(\.settings)) }
        configuration.current = applied
        metrics.reconfigured()
        await blocking { metrics.publish() }
        let summary = WatchActivation.summary(active, applied)
        logger.notice("configuration reloaded: \(summary)", metadata: ["message_id": "\(MessageID.reloaded.rawValue)"])
        notifier.ready(status: summary)
    }
}
