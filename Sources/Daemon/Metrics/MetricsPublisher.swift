import Foundation
import History
import Journal
import Logging
import RetaindMetrics
import Synchronization

/// Keeps `[metrics] textfile` current: counts each outcome and its steps' seconds, and
/// rewrites the file from the history after every outcome and on the service's timer.
///
/// A file that cannot be written (its directory missing, not writable, a full disk)
/// never stops the daemon: one journal error when writing starts failing, one notice
/// when it works again, and a new try at every write.
final class MetricsPublisher: Sendable {
    private let registry = MetricsRegistry(version: RetaindVersion.current,
                                           statuses: CheckpointStatus.allCases.filter { $0 != .processing }.map(\.rawValue))
    private let configuration: RunningConfiguration
    /// The history's outcomes and pending checkpoints now.
    private let read: @Sendable () throws -> (records: [CheckpointRecord], pending: [PendingRecord])
    private let queueLength: @Sendable () -> Int
    private let centralBacklog: @Sendable () -> Int?
    private let logger: Logger
    /// Serialises writes; remembers the failure being reported, so it is logged once.
    private let failure = Mutex<String?>(nil)

    init(configuration: RunningConfiguration, logger: Logger, queueLength: @escaping @Sendable () -> Int,
         centralBacklog: @escaping @Sendable () -> Int? = { nil },
         read: @escaping @Sendable () throws -> (records: [CheckpointRecord], pending: [PendingRecord])) {
        self.configuration = configuration
        self.logger = logger
        self.queueLength = queueLength
        self.centralBacklog = centralBacklog
        self.read = read
        registry.register(watches: configuration.current.watches.map(\.name))
    }

    /// Creates the zero series of watches a reload added.
    func reconfigured() {
        registry.register(watches: configuration.current.watches.map(\.name))
    }

    /// Counts a recorded outcome and the seconds of its steps, then rewrites the file.
    func recorded(_ record: CheckpointRecord, steps: [ProcessingStep: Double]) {
        registry.countOutcome(watch: record.watch, status: record.status.rawValue)
        for (step, seconds) in steps { registry.observe(step, seconds: seconds) }
        publish()
    }

    /// The exposition as it stands (for tests and the first write).
    func exposition() throws -> String {
        let (records, pending) = try read()
        var figures = DaemonFigures.current(records: records, pending: pending, watches: configuration.current.watches,
                                            queueLength: queueLength())
        figures.centralBacklog = centralBacklog()
        return registry.exposition(figures)
    }

    /// Rewrites the textfile, when one is configured.
    func publish() {
        guard let path = configuration.current.metrics.textfile else { return }
        failure.withLock { reported in
            do {
                try Textfile(path: path).write(try exposition())
                if reported != nil {
                    logger.notice("metrics textfile written again", metadata: ["retaind.metrics": "\(path)"])
                    reported = nil
                }
            } catch {
                let message = "\(error)"
                guard reported == nil else { return }
                reported = message
                logger.error("cannot write the metrics textfile; retrying every 30 s: \(message)", metadata: [
                    "message_id": "\(MessageID.daemonError.rawValue)", "retaind.metrics": "\(path)", "retaind.error": "\(message)",
                ])
            }
        }
    }
}
