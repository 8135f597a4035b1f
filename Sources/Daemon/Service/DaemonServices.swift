import Foundation
import History
import Journal
import Logging
import ServiceLifecycle
import UnixSignals

/// The daemon as a swift-service-lifecycle `Service`, the one `retaind run` puts in its
/// `ServiceGroup` (which owns SIGTERM and SIGINT): it readies the daemon, then runs its
/// services in a group of their own, to which the outer group's graceful shutdown
/// passes — also when SIGTERM arrives while the bases are still loading.
public struct DaemonService: Service {
    private let configurationPath: String
    private let logger: Logger
    private let notifier: any ServiceNotifier

    /// A daemon that will read `configurationPath` when run (and again on each SIGHUP).
    public init(configurationPath: String, logger: Logger, notifier: any ServiceNotifier = SystemdNotifier()) {
        self.configurationPath = configurationPath
        self.logger = logger
        self.notifier = notifier
    }

    /// Runs until graceful shutdown; throws when the configuration or history cannot be
    /// used at start (the process should then exit non-zero).
    public func run() async throws {
        let daemon = try await DaemonServices.start(configurationPath: configurationPath, logger: logger, notifier: notifier)
        var quiet = logger
        quiet.logLevel = .warning
        defer { daemon.lock.release() }
        try await ServiceGroup(configuration: .init(services: daemon.services, logger: quiet)).run()
    }
}

/// The daemon's services: processing, the watcher, the purge, the metrics textfile,
/// delivery to the central history, the watchdog, reloads on SIGHUP, retry requests on SIGUSR1, and the stopping notice, in
/// the order a group starts them (it shuts them down in reverse: the notice first,
/// processing last, after the checkpoint in progress).
///
/// ``start(configurationPath:logger:notifier:)`` does what must happen before systemd
/// hears `READY=1` — configuration read, history opened, bases loaded, first scan done —
/// and throws when the configuration or the history cannot be used (the process should
/// exit non-zero).
public struct DaemonServices: Sendable {
    /// The PID of the daemon that holds `database`'s lock now, if one does.
    public static func runningDaemon(database: String) -> Int32? {
        DaemonLock.isHeld(database: database) ? DaemonLock.holder(database: database) : nil
    }

    /// Held while the services run: one daemon per history.
    let lock: DaemonLock
    let services: [any Service]

    /// Readies the daemon described by the file at `configurationPath`.
    static func start(configurationPath: String, logger: Logger,
                             notifier: any ServiceNotifier = SystemdNotifier()) async throws -> DaemonServices {
        let loaded = try Configuration.load(path: configurationPath)
        let configuration = RunningConfiguration(loaded)
        // Trap SIGHUP before READY=1: an early reload must not kill the process.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let retryRequests = await UnixSignalsSequence(trapping: .sigusr1)
        notifier.status("opening history \(loaded.store.database)")
        // Before the history is opened (a newer binary would migrate it) or any row touched
        // (another daemon's `processing` rows must not be abandoned).
        let lock = try DaemonLock.acquire(database: loaded.store.database)
        let history = try HistoryStore(path: loaded.store.database)
        for path in try history.abandonUnfinished() {
            logger.notice("a checkpoint was in progress when the daemon stopped; processing it again", metadata: ["retaind.checkpoint": "\(path)"])
        }
        let purge = PurgeService(history: history, configuration: configuration, logger: logger)
        purge.purge()
        Processor.removeStaleTuning(in: loaded.store.outputRoot)

        try history.clearAllPending()  // the first scan finds them again
        let status = StatusBoard(notifier: notifier)
        let queue = CandidateQueue()
        let fatal = FatalStop(queue: queue)
        let activation = WatchActivation(contexts: ContextCache(), logger: logger)
        notifier.status("loading bases and profiles")
        let active = await blocking { activation.activate(loaded.watches) }
        let inFlight = InFlight()
        let watcher = try Watcher(watches: active.map(\.settings), queue: queue, history: history, status: status, fatal: fatal,
                                  inFlight: inFlight, logger: logger)
        let delivery = CentralDelivery(history: history, configuration: configuration, status: status, logger: logger)
        let metrics = MetricsPublisher(configuration: configuration, logger: logger, queueLength: { queue.count },
                                       centralBacklog: { delivery.backlog },
                                       read: { (try history.records(), try history.pending()) })
        let processor = Processor(history: history, outputRoot: loaded.store.outputRoot, logger: logger, status: status, fatal: fatal,
                                  inFlight: inFlight, retryScheduled: { path, time in watcher.recheck(path, at: time) },
                                  recorded: { record, outcome in
                                      delivery.outcomeRecorded()
                                      metrics.recorded(record, steps: outcome.stepSeconds)
                                  })
        processor.configure(active, outputRoot: loaded.store.outputRoot, retry: .init(loaded.store))
        notifier.status("scanning watched directories")
        await blocking { watcher.start() }

        let summary = WatchActivation.summary(active, loaded)
        notifier.ready(status: summary)
        logger.info("retaind ready: \(summary)", metadata: ["message_id": "\(MessageID.started.rawValue)", "retaind.config": "\(configurationPath)"])

        return DaemonServices(lock: lock, services: [
            ProcessingService(queue: queue, processor: processor, fatal: fatal),
            WatcherService(watcher: watcher),
            purge,
            MetricsService(publisher: metrics),
            CentralDeliveryService(delivery: delivery),
            WatchdogService(notifier: notifier, deadline: processor.deadline, heartbeat: { watcher.lastHeartbeat }),
            ReloadService(hangups: hangups, configurationPath: configurationPath, configuration: configuration,
                          activation: activation, processor: processor, watcher: watcher, metrics: metrics, notifier: notifier,
                          logger: logger),
            RetryRequestService(requests: retryRequests, watcher: watcher, logger: logger),
            StoppingNotice(notifier: notifier, logger: logger),
        ])
    }
}
