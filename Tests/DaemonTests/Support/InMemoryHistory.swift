@testable import Daemon
import Foundation
@testable import History
import Synchronization

/// A ``CheckpointHistory`` in memory, with the SQLite store's exactly-once rules: the
/// seam that lets the processor be tested in-process.
final class InMemoryHistory: CheckpointHistory {
    struct State {
        var records: [CheckpointRecord] = []
        var modules: [Int64: [ModuleRecord]] = [:]
        var trials: [Int64: [TuneTrialRecord]] = [:]
        var pending: [String: PendingRecord] = [:]
        var nextID: Int64 = 1
    }

    let state = Mutex(State())

    var records: [CheckpointRecord] { state.withLock { $0.records } }
    func modules(of id: Int64) -> [ModuleRecord] { state.withLock { $0.modules[id] ?? [] } }
    func trials(of id: Int64) -> [TuneTrialRecord] { state.withLock { $0.trials[id] ?? [] } }
    var pending: [String: PendingRecord] { state.withLock { $0.pending } }

    func recordPending(_ record: PendingRecord) {
        state.withLock { state in
            var record = record
            if let known = state.pending[record.path] { record.firstSeen = known.firstSeen }
            state.pending[record.path] = record
        }
    }

    func nextRetry(path: String, signature: String) -> Date? {
        state.withLock { $0.records.last { $0.path == path && $0.signature == signature && $0.retryAt != nil }?.retryAt }
    }

    func previousAttempts(path: String) -> Int {
        state.withLock { $0.records.filter { $0.path == path && $0.retryAt != nil }.map(\.attempts).max() ?? 0 }
    }

    func clearPending(path: String) {
        state.withLock { _ = $0.pending.removeValue(forKey: path) }
    }

    func hasOutcome(path: String, signature: String) -> Bool {
        state.withLock {
            $0.records.contains { $0.path == path && $0.signature == signature && $0.status != .processing && ($0.retryAt.map { $0 > Date() } ?? true) }
        }
    }

    func begin(_ record: CheckpointRecord) -> CheckpointRecord {
        state.withLock { state in
            var record = record
            record.id = state.nextID
            record.status = .processing
            state.nextID += 1
            state.records.append(record)
            return record
        }
    }

    func outcome(path: String, fingerprint: String) -> CheckpointRecord? {
        state.withLock { $0.records.first { $0.path == path && $0.fingerprint == fingerprint && $0.status != .processing && $0.retryAt == nil } }
    }

    func resolveDuplicate(claim: CheckpointRecord, of existing: CheckpointRecord) {
        state.withLock { state in
            state.records.removeAll { $0.id == claim.id }
            state.pending[claim.path] = nil
            if let i = state.records.firstIndex(where: { $0.id == existing.id }) { state.records[i].signature = claim.signature }
        }
    }

    func finish(_ record: CheckpointRecord, modules: [ModuleRecord], trials: [TuneTrialRecord]) throws(HistoryError) {
        try state.withLock { state throws(HistoryError) in
            state.records.removeAll { $0.path == record.path && $0.id != record.id && $0.retryAt != nil }
            if let fingerprint = record.fingerprint,
               state.records.contains(where: { $0.id != record.id && $0.path == record.path && $0.fingerprint == fingerprint }) {
                throw HistoryError(path: ":memory:", reason: .sqlite("UNIQUE constraint failed: checkpoint.path, checkpoint.fingerprint"))
            }
            guard let i = state.records.firstIndex(where: { $0.id == record.id }) else { return }
            state.records[i] = record
            state.pending[record.path] = nil
            state.modules[record.id!] = modules
            state.trials[record.id!] = trials
        }
    }

    func abandonUnfinished() -> [String] {
        state.withLock { state in
            let paths = state.records.filter { $0.status == .processing }.map(\.path)
            state.records.removeAll { $0.status == .processing }
            return paths
        }
    }

    /// No outbox in memory: `keepingUndelivered` keeps nothing more.
    func purge(detectedBefore cutoff: Date, keepingUndelivered: Bool) -> Int {
        state.withLock { state in
            let before = state.records.count
            state.records.removeAll { $0.detectedAt < cutoff && $0.status != .processing }
            return before - state.records.count
        }
    }
}
