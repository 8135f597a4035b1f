import CentralHistory
import Foundation
import History
import Journal
import Logging
import Synchronization

/// Copies finished outcomes from the local history's outbox to `[store.central]`, in the
/// order they were recorded, exactly once.
///
/// The local history is the source of truth: recording an outcome never waits for the
/// network. A delivery is one PostgreSQL transaction whose rows are keyed by host, local
/// history id and local row id, and the outbox row goes only after it committed; a
/// repeat after a crash inserts nothing. While the server is away the daemon says so
/// once, keeps the backlog, and says once more when it is back.
final class CentralDelivery: Sendable {
    private let history: HistoryStore
    private let configuration: RunningConfiguration
    private let logger: Logger
    private let status: StatusBoard
    /// Outcomes a delivery carries at most (each with its module rows).
    static let batchSize = 100
    private let state = Mutex<State>(State())
    /// Set by a recorded outcome; ends a quiet wait early.
    private let woken = Mutex(false)

    struct State {
        /// The reason delivery stopped, while it is stopped (logged once).
        var failure: CentralError?
        var backlog = 0
        /// The history id, read once.
        var historyID: String?
    }

    init(history: HistoryStore, configuration: RunningConfiguration, status: StatusBoard, logger: Logger) {
        self.history = history
        self.configuration = configuration
        self.status = status
        self.logger = logger
    }

    /// Outcomes waiting for delivery (nil without a central history).
    var backlog: Int? {
        configuration.current.store.central == nil ? nil : state.withLock { $0.backlog }
    }

    /// Why delivery is stopped, while it is.
    var failure: CentralError? { state.withLock { $0.failure } }

    /// Called after each recorded outcome: count it in the backlog, deliver soon.
    func outcomeRecorded() {
        guard configuration.current.store.central != nil else { return }
        _ = try? readBacklog()
        woken.withLock { $0 = true }
    }

    /// Delivers until graceful shutdown (the service's body): after each outcome, every
    /// 30 s, and after a failure with a backoff of 1 s doubling to 60 s.
    func run() async {
        var connection: CentralConnection?
        var backoff: Double = 1
        while !Task.isCancelled {
            let pause: Double
            if let settings = configuration.current.store.central {
                if connection?.settings != settings {
                    await connection?.close()
                    connection = nil
                }
                if let error = await deliver(settings, &connection) {
                    stopped(error, settings)
                    pause = backoff
                    backoff = min(backoff * 2, 60)
                } else {
                    backoff = 1
                    pause = 30
                }
            } else {
                await connection?.close()
                connection = nil
                pause = 30
            }
            // Outcomes end a quiet wait, not a backoff.
            await wait(seconds: pause, wakeable: state.withLock { $0.failure == nil })
        }
        await connection?.close()
    }

    /// Sleeps `seconds`, or until an outcome is recorded when `wakeable`.
    private func wait(seconds: Double, wakeable: Bool) async {
        let end = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < end, !Task.isCancelled {
            if wakeable, woken.withLock({ woken in defer { woken = false }; return woken }) { return }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Delivers the outbox; returns why it stopped, if it did. A connection that was open
    /// from before (the server may have restarted since) gets one fresh try first, so a
    /// server restart between outcomes is not reported as an outage.
    private func deliver(_ settings: CentralSettings, _ connection: inout CentralConnection?) async -> CentralError? {
        for attempt in 0..<2 {
            let reused = connection != nil
            do {
                try await deliverAll(settings, &connection)
                return nil
            } catch {
                logger.debug("central history delivery failed (attempt \(attempt + 1)): \(error)")
                await connection?.close()
                connection = nil
                if reused, attempt == 0 { continue }
                return error
            }
        }
        return nil
    }

    /// Connects when needed and delivers the whole outbox, batch by batch.
    private func deliverAll(_ settings: CentralSettings, _ connection: inout CentralConnection?) async throws(CentralError) {
        let backlog = try readBacklog()
        if connection == nil {
            let opened = try await CentralConnection.open(settings, logger: quietLogger)
            do { try await opened.requireSchema() } catch {
                await opened.close()
                throw error
            }
            connection = opened
        }
        resumed(backlog: backlog)
        let historyID = try readHistoryID()
        while !Task.isCancelled {
            let entries = try local { try history.undelivered(limit: Self.batchSize) }
            guard !entries.isEmpty else { break }
            logger.debug("delivering \(entries.count) outcomes to the central history")
            try await connection!.deliver(entries, historyID: historyID)
            try local { try history.markDelivered(entries.map(\.sequence)) }
            _ = try readBacklog()
        }
    }

    private func readBacklog() throws(CentralError) -> Int {
        let backlog = try local { try history.backlog() }
        state.withLock { $0.backlog = backlog }
        status.set(centralBacklog: backlog)
        return backlog
    }

    private func readHistoryID() throws(CentralError) -> String {
        if let id = state.withLock({ $0.historyID }) { return id }
        let id = try local { try history.historyID() }
        state.withLock { $0.historyID = id }
        return id
    }

    /// A local history failure, as a CentralError (delivery stops and retries).
    private func local<T>(_ body: () throws -> T) throws(CentralError) -> T {
        do { return try body() } catch { throw CentralError(.server, "the local history: \(error)") }
    }

    private func stopped(_ error: CentralError, _ settings: CentralSettings) {
        let first = state.withLock { state -> Bool in
            defer { state.failure = error }
            return state.failure == nil
        }
        guard first else { return }
        let backlog = state.withLock { $0.backlog }
        logger.warning("central history delivery stopped; outcomes are kept locally and delivered when it is back: \(error)", metadata: [
            "message_id": "\(MessageID.centralDelivery.rawValue)", "retaind.error": "\(error)",
            "retaind.central": "\(settings.destination)", "retaind.backlog": "\(backlog)",
        ])
    }

    private func resumed(backlog: Int) {
        let wasStopped = state.withLock { state -> Bool in
            defer { state.failure = nil }
            return state.failure != nil
        }
        guard wasStopped else { return }
        logger.notice("central history delivery resumed; delivering \(backlog) outcome\(backlog == 1 ? "" : "s")", metadata: [
            "message_id": "\(MessageID.centralDelivery.rawValue)", "retaind.backlog": "\(backlog)",
        ])
    }

    /// postgres-nio logs every connection event; the daemon says what matters itself.
    private var quietLogger: Logger {
        var quiet = logger
        quiet.logLevel = .critical
        return quiet
    }
}
