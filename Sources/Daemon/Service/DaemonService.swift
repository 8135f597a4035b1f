import Foundation
import History
import Journal
import Logging
import ServiceLifecycle
import UnixSignals

/// The daemon as a swift-service-lifecycle `Service`: watch → queue → pipeline, with
/// systemd's notify protocol, SIGHUP reloads and a watchdog fed by the processing loop.
///
/// `run()` returns after a graceful shutdown (SIGTERM): the checkpoint in progress is
/// finished (its output is atomic either way), nothing new is started.
public final class DaemonService: Service, @unchecked Sendable {
    private let configurationPath: String
    private let logger: Logger
    private let notifier: SystemdNotifier
    private let queue = CandidateQueue()
    private let contexts = ContextCache()
    private let lock = NSLock()
    private var _configuration: Configuration?

    /// The configuration in force (the last one that loaded).
    private var configuration: Configuration {
        get { lock.lock(); defer { lock.unlock() }; return _configuration! }
        set { lock.lock(); _configuration = newValue; lock.unlock() }
    }

    /// A daemon that will read `configurationPath` when run (and again on each SIGHUP).
    public init(configurationPath: String, logger: Logger, notifier: SystemdNotifier = SystemdNotifier()) {
        self.configurationPath = configurationPath
        self.logger = logger
        self.notifier = notifier
    }

    /// Runs until graceful shutdown; throws when the configuration or history cannot be
    /// used at start (the process should then exit non-zero).
    public func run() async throws {
        let configuration = try Configuration.load(path: configurationPath)
        self.configuration = configuration
        // Trap SIGHUP before READY=1: an early reload must not kill the process.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        notifier.status("opening history \(configuration.store.database)")
        let history = try HistoryStore(path: configuration.store.database)
        for path in try history.abandonUnfinished() {
            logger.notice("a checkpoint was in progress when the daemon stopped; processing it again", metadata: ["retaind.checkpoint": "\(path)"])
        }
        purge(history, keepDays: configuration.store.keepDays)
        Pipeline.removeStaleTuning(in: configuration.store.outputRoot)

        let pipeline = Pipeline(history: history, outputRoot: configuration.store.outputRoot, logger: logger, notifier: notifier)
        notifier.status("loading bases and profiles")
        let active = await blocking { self.activate(configuration.watches) }
        pipeline.configure(active, outputRoot: configuration.store.outputRoot)
        let watcher = try Watcher(watches: active.map(\.settings), queue: queue, logger: logger) { path, signature in
            (try? history.hasOutcome(path: path, signature: signature)) ?? false
        }
        notifier.status("scanning watched directories")
        await blocking { watcher.start() }
        let processing = ProcessingThread(queue: queue, pipeline: pipeline)
        processing.start()

        let summary = Self.summary(active, configuration)
        notifier.ready(status: summary)
        logger.info("retaind ready: \(summary)", metadata: ["message_id": "\(MessageID.started.rawValue)", "retaind.config": "\(configurationPath)"])

        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in hangups {
                    self.configuration = await self.reload(self.configuration, pipeline: pipeline, watcher: watcher)
                }
            }
            if let interval = notifier.watchdogInterval {
                group.addTask { await self.feedWatchdog(every: interval, pipeline: pipeline, watcher: watcher) }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(3600))
                    self.purge(history, keepDays: self.configuration.store.keepDays)
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }

        notifier.stopping()
        logger.notice("retaind stopping", metadata: ["message_id": "\(MessageID.stopping.rawValue)"])
        await blocking {
            watcher.stop()
            self.queue.close()
            processing.join()
        }
    }

    /// Loads every watch's base and profiles (reusing loaded ones whose files did not
    /// change); a watch that cannot run is logged and left out, the others go on.
    private func activate(_ watches: [Configuration.Watch]) -> [Pipeline.ActiveWatch] {
        var active: [Pipeline.ActiveWatch] = []
        for watch in watches {
            for dir in watch.dirs where !FileManager.default.fileExists(atPath: dir) {
                logger.warning("watched directory does not exist yet; it is picked up once created", metadata: [
                    "message_id": "\(MessageID.configurationWarning.rawValue)", "retaind.watch": "\(watch.name)", "retaind.dir": "\(dir)",
                ])
            }
            do {
                let context = try contexts.context(for: watch)
                if watch.forgetProfile == nil {
                    logger.warning("""
                        watch “\(watch.name)” has no forget_profile: restoring will also undo much of the forgetting; \
                        capture one on the forget set (tools/capture_profile.py)
                        """, metadata: ["message_id": "\(MessageID.configurationWarning.rawValue)", "retaind.watch": "\(watch.name)"])
                }
                let verification = try watch.verify.map { settings throws(DaemonError) in
                    try Verification.load(settings, watch: watch.name, base: watch.base)
                }
                active.append(Pipeline.ActiveWatch(settings: watch, context: context, verification: verification))
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

    /// SIGHUP: re-reads the file; a broken one keeps the running configuration.
    private func reload(_ current: Configuration, pipeline: Pipeline, watcher: Watcher) async -> Configuration {
        notifier.reloading()
        let next: Configuration
        do {
            next = try Configuration.load(path: configurationPath)
        } catch {
            logger.error("configuration not reloaded, still running the previous one: \(error)", metadata: [
                "message_id": "\(MessageID.reloaded.rawValue)", "retaind.error": "\(error)", "retaind.config": "\(configurationPath)",
            ])
            notifier.ready(status: "reload refused (\(error)); \(Self.summary(nil, current))")
            return current
        }
        var adjusted = next
        if next.store.database != current.store.database {
            logger.warning("store.database changes take effect on restart; keeping \(current.store.database)",
                           metadata: ["message_id": "\(MessageID.configurationWarning.rawValue)"])
            adjusted.store.database = current.store.database
        }
        let applied = adjusted
        let active = await blocking { self.activate(applied.watches) }
        pipeline.configure(active, outputRoot: applied.store.outputRoot)
        await blocking { watcher.reconfigure(active.map(\.settings)) }
        let summary = Self.summary(active, applied)
        logger.notice("configuration reloaded: \(summary)", metadata: ["message_id": "\(MessageID.reloaded.rawValue)"])
        notifier.ready(status: summary)
        return applied
    }

    /// Pings the watchdog while the pipeline and the watcher make progress; a checkpoint
    /// stuck past its deadline stops the pings and systemd restarts the daemon.
    private func feedWatchdog(every interval: Duration, pipeline: Pipeline, watcher: Watcher) async {
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        while !Task.isCancelled {
            let now = Date()
            if pipeline.isHealthy(now: now), now.timeIntervalSince(watcher.lastHeartbeat) < max(seconds, 2) {
                notifier.watchdog()
            }
            try? await Task.sleep(for: interval / 3)
        }
    }

    private func purge(_ history: HistoryStore, keepDays: Double) {
        guard keepDays > 0 else { return }
        do {
            let removed = try history.purge(detectedBefore: Date().addingTimeInterval(-keepDays * 86_400))
            if removed > 0 { logger.info("purged \(removed) outcomes older than \(keepDays) days from the history") }
        } catch {
            logger.error("cannot purge the history", metadata: ["message_id": "\(MessageID.daemonError.rawValue)", "retaind.error": "\(error)"])
        }
    }

    private static func summary(_ active: [Pipeline.ActiveWatch]?, _ configuration: Configuration) -> String {
        let names = active?.map(\.settings.name) ?? configuration.watches.map(\.name)
        return "watching \(names.count) of \(configuration.watches.count) watch\(configuration.watches.count == 1 ? "" : "es")"
            + (names.isEmpty ? "" : " (\(names.joined(separator: ", ")))")
    }
}

/// Runs blocking work (file reads, thread joins) off the cooperative pool.
func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}
