import Foundation

/// What the daemon needs of a history: claim a checkpoint, record its outcome exactly
/// once, and answer "already done?" cheaply.
///
/// ``HistoryStore`` (SQLite) implements it on every host; a central replica or an
/// in-memory test double can too. Every method is called from one processing thread
/// at a time, except ``hasOutcome(path:signature:)``, which the watcher calls.
public protocol CheckpointHistory: Sendable {
    /// Whether `path` with these exact files already has an outcome (a restart skips it
    /// without reading its weights).
    func hasOutcome(path: String, signature: String) throws(HistoryError) -> Bool
    /// Claims a checkpoint: stores its `processing` row and returns it with its id.
    func begin(_ record: CheckpointRecord) throws(HistoryError) -> CheckpointRecord
    /// The finished outcome for `path` with these weights, if there is one.
    func outcome(path: String, fingerprint: String) throws(HistoryError) -> CheckpointRecord?
    /// Drops `claim`, whose weights already have `existing` as their outcome, and keeps
    /// the claim's signature on `existing`.
    func resolveDuplicate(claim: CheckpointRecord, of existing: CheckpointRecord) throws(HistoryError)
    /// Records a claim's final outcome, module figures and tuning trials atomically.
    func finish(_ record: CheckpointRecord, modules: [ModuleRecord], trials: [TuneTrialRecord]) throws(HistoryError)
    /// Deletes claims a crashed daemon left `processing` and returns their paths.
    func abandonUnfinished() throws(HistoryError) -> [String]
    /// When the outcome of `path` with these files is to be tried again, if it is.
    func nextRetry(path: String, signature: String) throws(HistoryError) -> Date?
    /// The attempts so far of `path`'s retryable outcomes (0 when it has none).
    func previousAttempts(path: String) throws(HistoryError) -> Int
    /// Records that a directory is pending, and why (first sight is kept).
    func recordPending(_ record: PendingRecord) throws(HistoryError)
    /// Forgets that `path` is pending.
    func clearPending(path: String) throws(HistoryError)
    /// Deletes outcomes detected before `cutoff` (keeping those the outbox has not
    /// delivered yet, when asked); returns how many went.
    @discardableResult
    func purge(detectedBefore cutoff: Date, keepingUndelivered: Bool) throws(HistoryError) -> Int
}

extension HistoryStore: CheckpointHistory {}
