import Foundation
import History
import Journal
import Logging
import Retention
import SafeTensors
import Synchronization

/// One checkpoint at a time, one way: claim → drift (which fingerprints) → gate →
/// restore when over → history → journal.
///
/// Every outcome is one history row and one journal entry; nothing here throws, so one
/// bad checkpoint never stops the next. What it touches outside the weights — the
/// history, the service manager, the clock — comes in through protocols, so its
/// decisions are tested in-process. Runs on the daemon's processing thread.
final class Processor: Sendable {
    private let history: any CheckpointHistory
    private let logger: Logger
    /// Where processing says what it is doing (`STATUS=`).
    let status: StatusBoard
    /// The deadline of the step in progress, which the watchdog checks.
    let deadline: ProgressDeadline
    private let installed: Mutex<(watches: [String: ActiveWatch], outputRoot: String, retry: RetryPolicy)>
    private let fatal: FatalStop?
    /// The checkpoint being processed, for the watcher.
    private let inFlight: InFlight
    /// Told when an outcome is to be tried again, and when: the watcher looks then.
    private let retryScheduled: @Sendable (_ path: String, _ time: Date) -> Void
    /// Told of every outcome once it is in the history (the metrics count it).
    private let recorded: @Sendable (_ record: CheckpointRecord, _ outcome: Outcome) -> Void

    init(history: any CheckpointHistory, outputRoot: String, logger: Logger, status: StatusBoard,
         deadline: ProgressDeadline = ProgressDeadline(), fatal: FatalStop? = nil, inFlight: InFlight = InFlight(),
         retryScheduled: @escaping @Sendable (String, Date) -> Void = { _, _ in },
         recorded: @escaping @Sendable (CheckpointRecord, Outcome) -> Void = { _, _ in }) {
        self.recorded = recorded
        self.fatal = fatal
        self.inFlight = inFlight
        self.retryScheduled = retryScheduled
        self.history = history
        self.logger = logger
        self.status = status
        self.deadline = deadline
        installed = Mutex(([:], outputRoot, RetryPolicy()))
    }

    /// How failures on the daemon's side are retried: `attempts` in all, the first retry
    /// after `seconds`, each next one after twice as long.
    struct RetryPolicy: Sendable {
        var attempts = 5
        var seconds: Double = 60

        init() {}

        /// The policy of `[store]`'s `retry_attempts` and `retry_seconds`.
        init(_ store: Configuration.Store) {
            attempts = store.retryAttempts
            seconds = store.retrySeconds
        }

        /// When attempt `attempt` (1-based) that failed at `time` is tried again; nil
        /// when it was the last.
        func retryTime(after attempt: Int, at time: Date) -> Date? {
            attempt < attempts ? time.addingTimeInterval(seconds * pow(2, Double(attempt - 1))) : nil
        }
    }

    /// Installs the watches a (re)load produced; a checkpoint in progress finishes with
    /// the settings it started with.
    func configure(_ watches: [ActiveWatch], outputRoot: String, retry: RetryPolicy = RetryPolicy()) {
        let table = Dictionary(uniqueKeysWithValues: watches.map { ($0.settings.name, $0) })
        installed.withLock { $0 = (table, outputRoot, retry) }
    }

    /// Processes one candidate and records its outcome; nil when there was nothing to
    /// record (changed since it was found, already done, or its watch was removed).
    @discardableResult
    func process(_ candidate: Candidate) -> CheckpointRecord? {
        let (watch, outputRoot, retry) = installed.withLock { ($0.watches[candidate.watch], $0.outputRoot, $0.retry) }
        guard let watch else { return nil }

        // Changed since the watcher found it quiet: the watcher offers it again once it
        // settles. Gone (or going: rotation deletes file by file): recorded as vanished.
        let snapshot = DirectorySnapshot(directory: candidate.path)
        if CheckpointLayout.detect(directory: candidate.path) != nil, snapshot?.signature != candidate.signature {
            return nil
        }
        inFlight.begin(candidate.path)
        defer { inFlight.end() }
        let claim: CheckpointRecord
        do {
            claim = try history.begin(CheckpointRecord(path: candidate.path, watch: candidate.watch, signature: candidate.signature,
                                                       detectedAt: candidate.detectedAt))
        } catch {
            logHistoryFailure("cannot record a checkpoint in the history", candidate, error)
            retryScheduled(candidate.path, Date().addingTimeInterval(retry.seconds))
            return nil
        }
        deadline.begin(weightBytes: snapshot?.weightBytes ?? 0)
        defer { deadline.end() }
        status.set(activity: "processing \(candidate.path)")

        var outcome: Outcome
        switch assess(candidate, watch: watch, outputRoot: outputRoot, startedAt: Date()) {
        case .duplicate(let existing):
            // Same weights, files touched: the outcome stands.
            try? history.resolveDuplicate(claim: claim, of: existing)
            logger.debug("checkpoint unchanged since its outcome", metadata: ["retaind.checkpoint": "\(candidate.path)"])
            return nil
        case .outcome(let assessed):
            outcome = assessed
        }
        outcome.finishedAt = Date()
        outcome.attempts = ((try? history.previousAttempts(path: candidate.path)) ?? 0) + 1
        if outcome.status == .error { outcome.retryAt = retry.retryTime(after: outcome.attempts, at: outcome.finishedAt!) }
        let record = outcome.record(claim: claim)
        do {
            try history.finish(record, modules: outcome.moduleRecords(checkpointID: claim.id!),
                               trials: outcome.trialRecords(checkpointID: claim.id!))
        } catch {
            // Not recorded: look again later (the claim stays `processing`, which no
            // outcome check counts, and a restart deletes).
            logHistoryFailure("cannot record a checkpoint's outcome in the history; it is processed again later", candidate, error)
            retryScheduled(candidate.path, Date().addingTimeInterval(retry.seconds))
            return nil
        }
        OutcomeEntry(record: record).log(to: logger)
        recorded(record, outcome)
        if let retry = record.retryAt { retryScheduled(candidate.path, retry) }
        status.set(activity: "idle; last: \(record.status.rawValue) \(candidate.path)")
        return record
    }

    /// What assessing a checkpoint came to.
    enum Assessment {
        case outcome(Outcome)
        /// These weights already have an outcome (the files were only touched).
        case duplicate(of: CheckpointRecord)
    }

    /// Measures, gates and, when over, restores and verifies `candidate`.
    func assess(_ candidate: Candidate, watch: ActiveWatch, outputRoot: String, startedAt: Date) -> Assessment {
        let context = watch.context
        let settings = watch.settings
        var outcome = Outcome(status: .error, threshold: settings.gate.threshold, startedAt: startedAt)
        if let rejection = candidate.rejection {
            outcome.status = .rejected
            outcome.error = rejection
            return .outcome(outcome)
        }
        let measurement: Drift.Measurement
        let checkpoint: Checkpoint
        let driftStarted = Date()
        do {
            checkpoint = try Checkpoint.open(candidate.path)
            measurement = try Drift.measure(candidate: checkpoint, base: context.base, profile: context.retain, reference: context.reference)
        } catch {
            outcome.driftSeconds = Date().timeIntervalSince(driftStarted)
            return .outcome(outcome.failed(error, checkpoint: candidate.path))
        }
        outcome.driftSeconds = Date().timeIntervalSince(driftStarted)
        let report = measurement.report
        if let done = try? history.outcome(path: candidate.path, fingerprint: report.fingerprint) {
            return .duplicate(of: done)
        }
        outcome.drift = report
        if report.isUnchanged {
            outcome.status = .unchanged
            return .outcome(outcome)
        }

        let gateVerifyStarted = Date()
        let retainPPL = measureRetainForGate(candidate, watch, &outcome.perplexities)
        if outcome.perplexities.retainBase != nil { outcome.verifyData = watch.verification?.source }
        if outcome.perplexities.retainBefore != nil { outcome.verifySeconds = Date().timeIntervalSince(gateVerifyStarted) }
        guard Gate.verdict(report, settings.gate, retainPPL: retainPPL, baseRetainPPL: outcome.perplexities.retainBase) == .over else {
            outcome.status = .passed
            return .outcome(outcome)
        }
        guard settings.restore.enabled else {
            outcome.status = .flagged
            return .outcome(outcome)
        }

        // A checkpoint being redone keeps its earlier output (a consumer may use it): only a
        // first attempt may replace an orphaned output of the same weights.
        let redo = ((try? history.previousAttempts(path: candidate.path)) ?? 0) > 0
        let destination = OutputLocation(outputRoot: outputRoot, replacesOrphans: !redo).destination(for: candidate, fingerprint: report.fingerprint)
        let restoreStarted = Date()
        do {
            status.set(activity: "restoring \(candidate.path)")
            if let tune = settings.restore.tune, let tuning = watch.tuning {
                let tuned = try tunedRestore(checkpoint, watch: watch, tune: tune, tuning: tuning, measured: measurement,
                                             destination: destination)
                outcome.restore = .init(path: destination, report: tuned.report)
                outcome.trials = tuned.trials
                outcome.tuneData = tuning.source
            } else {
                let report = try Restore.run(candidate: checkpoint, base: context.base, retain: context.retain, forget: context.forget,
                                             options: settings.restore.options, destination: destination, measured: measurement,
                                             version: RetaindVersion.current)
                outcome.restore = .init(path: destination, report: report)
            }
            outcome.restoreSeconds = Date().timeIntervalSince(restoreStarted)
            outcome.status = .restored
            if let verification = watch.verification {
                outcome.verifyData = verification.source
                let verifyStarted = Date()
                verify(&outcome.perplexities, candidate: candidate.path, restored: destination, verification)
                outcome.verifySeconds = (outcome.verifySeconds ?? 0) + Date().timeIntervalSince(verifyStarted)
                ForgettingGuard.apply(&outcome, minimum: settings.restore.minForgetKept, destination: destination)
            }
        } catch {
            outcome.restoreSeconds = Date().timeIntervalSince(restoreStarted)
            return .outcome(outcome.failed(error, checkpoint: candidate.path))
        }
        return .outcome(outcome)
    }

    /// The candidate's retain perplexity, when the watch gates on measured damage; nil
    /// (the drift gate applies) when it does not or the candidate cannot be evaluated.
    private func measureRetainForGate(_ candidate: Candidate, _ watch: ActiveWatch, _ perplexities: inout Outcome.Perplexities) -> Double? {
        guard watch.settings.gate.retainPPLRatio != nil, let verification = watch.verification,
              let data = verification.retain, let base = verification.baseRetainPPL else { return nil }
        perplexities.retainBase = base
        do {
            deadline.refresh()
            let ppl = try verification.perplexity(of: candidate.path, on: data)
            perplexities.retainBefore = ppl
            return ppl
        } catch {
            perplexities.verifyError = "\(error); gated on drift instead"
            return nil
        }
    }

    /// Retain and forget perplexity of the candidate and of what was written. A failure
    /// is recorded in `verifyError`; the restore stands.
    private func verify(_ perplexities: inout Outcome.Perplexities, candidate: String, restored: String, _ verification: Verification) {
        perplexities.retainBase = verification.baseRetainPPL
        do {
            if let data = verification.retain {
                if perplexities.retainBefore == nil {
                    deadline.refresh()
                    perplexities.retainBefore = try verification.perplexity(of: candidate, on: data)
                }
                if perplexities.retainAfter == nil {
                    deadline.refresh()
                    perplexities.retainAfter = try verification.perplexity(of: restored, on: data)
                }
            }
            if let data = verification.forget {
                perplexities.forgetBase = verification.baseForgetPPL
                deadline.refresh()
                perplexities.forgetBefore = try verification.perplexity(of: candidate, on: data)
                if perplexities.forgetAfter == nil {
                    deadline.refresh()
                    perplexities.forgetAfter = try verification.perplexity(of: restored, on: data)
                }
            }
        } catch {
            perplexities.verifyError = "\(error)"
        }
    }

    private func logHistoryFailure(_ message: Logger.Message, _ candidate: Candidate, _ error: any Error) {
        fatal?.stopIfFatal(error)
        logger.error(message, metadata: [
            "message_id": "\(MessageID.daemonError.rawValue)", "retaind.checkpoint": "\(candidate.path)", "retaind.error": "\(error)",
        ])
    }
}

extension Outcome {
    /// This outcome, failed with `error` (classified by ``FailureClassification``).
    func failed(_ error: any Error, checkpoint path: String) -> Outcome {
        var failed = self
        (failed.status, failed.error) = FailureClassification.classify(error, checkpoint: path)
        return failed
    }
}

extension DriftReport {
    /// Whether the run changed no profiled weight: every profiled module's update is
    /// exactly zero, so its energy on the retained directions and its mean shift are.
    var isUnchanged: Bool {
        !modules.isEmpty && modules.allSatisfy { $0.energy == 0 && $0.beta == 0 }
    }
}
