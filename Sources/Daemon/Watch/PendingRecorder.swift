import Foundation
import History
import Journal
import Logging

/// Writes what the tracker learns of checkpoints without an outcome to the history:
/// pending ones and why, and the one `vanished` outcome of a checkpoint seen but deleted
/// before it was ready. Runs on the watcher's thread.
struct PendingRecorder {
    let history: any CheckpointHistory
    let fatal: FatalStop?
    let logger: Logger

    func record(_ update: CheckpointTracker.PendingUpdate) {
        do {
            switch update {
            case .pending(let path, let watch, let reason):
                let now = Date()
                try history.recordPending(PendingRecord(path: path, watch: watch, reason: reason, firstSeen: now, updatedAt: now))
            case .cleared(let path):
                try history.clearPending(path: path)
            case .vanished(let path, let watch, let signature, let reason):
                let now = Date()
                // No signature: a directory at this path later is a new checkpoint, never
                // "already done" by this row.
                _ = signature
                var record = try history.begin(CheckpointRecord(path: path, watch: watch, signature: "", detectedAt: now))
                record.status = .vanished
                record.error = "deleted before it was ready (\(reason))"
                record.startedAt = now
                record.finishedAt = now
                try history.finish(record, modules: [], trials: [])
                OutcomeEntry(record: record).log(to: logger)
            }
        } catch {
            if fatal?.stopIfFatal(error) == true { return }
            logger.warning("cannot record a pending checkpoint in the history", metadata: [
                "message_id": "\(MessageID.daemonError.rawValue)", "retaind.error": "\(error)",
            ])
        }
    }
}
