import Foundation
import History
import Journal
import Logging
import ServiceLifecycle

/// Deletes outcomes older than `store.keep_days` from the history, at start and hourly.
struct PurgeService: Service {
    let history: any CheckpointHistory
    let configuration: RunningConfiguration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(3600))
                purge()
            }
        }
    }

    /// One purge by the configuration in force.
    func purge(now: Date = Date()) {
        let store = configuration.current.store
        let keepDays = store.keepDays
        guard keepDays > 0 else { return }
        do {
            // Never before the central history has them.
            let removed = try history.purge(detectedBefore: now.addingTimeInterval(-keepDays * 86_400), keepingUndelivered: store.central != nil)
            if removed > 0 { logger.info("purged \(removed) outcomes older than \(keepDays) days from the history") }
        } catch {
            logger.error("cannot purge the history", metadata: ["message_id": "\(MessageID.daemonError.rawValue)", "retaind.error": "\(error)"])
        }
    }
}
