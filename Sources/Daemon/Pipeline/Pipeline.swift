import Foundation
import History
import Journal
import Logging
import Retention
import SafeTensors

/// One checkpoint at a time, one way: claim → drift (which fingerprints) → gate →
/// restore when over threshold → history → journal.
///
/// Every outcome is one history row and one journal entry; nothing here throws, so
/// one bad checkpoint never stops the next. Runs on the daemon's processing thread.
final class Pipeline: @unchecked Sendable {
    /// A watch ready to process: its settings and its loaded base.
    struct ActiveWatch: Sendable {
        let settings: Configuration.Watch
        let context: BaseContext
        /// `[watch.verify]`, loaded; nil when the watch does not verify.
        let verification: Verification?
    }

    private let history: HistoryStore
    private let logger: Logger
    private let notifier: SystemdNotifier
    private let lock = NSLock()
    private var active: [String: ActiveWatch] = [:]
    private var outputRoot: String
    private var busy: (deadline: Date, allowance: TimeInterval)?

    init(history: HistoryStore, outputRoot: String, logger: Logger, notifier: SystemdNotifier) {
        self.history = history
        self.outputRoot = outputRoot
        self.logger = logger
        self.notifier = notifier
    }

    /// Installs the watches a (re)load produced; a checkpoint in progress finishes with
    /// the settings it started with.
    func configure(_ watches: [ActiveWatch], outputRoot: String) {
        lock.lock()
        active = Dictionary(uniqueKeysWithValues: watches.map { ($0.settings.name, $0) })
        self.outputRoot = outputRoot
        lock.unlock()
    }

    /// False when the current checkpoint has run past its deadline: the watchdog stops
    /// being fed and systemd restarts a stuck daemon.
    func isHealthy(now: Date = Date()) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return busy.map { now < $0.deadline } ?? true
    }

    /// Processes one candidate and records its outcome; nil when there was nothing to
    /// record (changed since it was found, already done, or its watch was removed).
    @discardableResult
    func process(_ candidate: Candidate) -> CheckpointRecord? {
        lock.lock()
        let watch = active[candidate.watch]
        let outputRoot = self.outputRoot
        lock.unlock()
        guard let watch else { return nil }

        // Changed since the watcher found it quiet: the watcher offers it again once it
        // settles. Gone (or going: rotation deletes file by file): recorded below as vanished.
        let snapshot = DirectorySnapshot(directory: candidate.path)
        if CheckpointLayout.detect(directory: candidate.path) != nil, snapshot?.signature != candidate.signature {
            return nil
        }
        var record: CheckpointRecord
        do {
            record = try history.begin(CheckpointRecord(path: candidate.path, watch: candidate.watch, signature: candidate.signature,
                                                        detectedAt: candidate.detectedAt))
        } catch {
            logger.error("cannot record a checkpoint in the history", metadata: [
                "message_id": "\(MessageID.daemonError.rawValue)", "retaind.checkpoint": "\(candidate.path)", "retaind.error": "\(error)",
            ])
            return nil
        }
        record.startedAt = Date()
        record.threshold = watch.settings.gate.threshold
        beginBusy(weightBytes: snapshot?.entries.filter { $0.name.hasSuffix(".safetensors") }.reduce(0) { $0 + $1.size } ?? 0)
        defer { endBusy() }
        notifier.status("processing \(candidate.path)")

        var modules: [ModuleRecord] = []
        var trials: [TuneTrialRecord] = []
        let outcome = run(candidate, watch: watch, outputRoot: outputRoot, record: &record, modules: &modules, trials: &trials)
        if outcome == .duplicate { return nil }
        record.finishedAt = Date()
        do {
            try history.finish(record, modules: modules.map { var m = $0; m.checkpointID = record.id!; return m },
                               trials: trials.map { var t = $0; t.checkpointID = record.id!; return t })
        } catch {
            logger.error("cannot record a checkpoint's outcome in the history", metadata: [
                "message_id": "\(MessageID.daemonError.rawValue)", "retaind.checkpoint": "\(candidate.path)", "retaind.error": "\(error)",
            ])
        }
        OutcomeEntry(record: record).log(to: logger)
        notifier.status("idle; last: \(record.status.rawValue) \(candidate.path)")
        return record
    }

    private enum Flow { case recorded, duplicate }

    private func run(_ candidate: Candidate, watch: ActiveWatch, outputRoot: String, record: inout CheckpointRecord,
                     modules: inout [ModuleRecord], trials: inout [TuneTrialRecord]) -> Flow {
        let context = watch.context
        let settings = watch.settings
        let measurement: Drift.Measurement
        let checkpoint: Checkpoint
        let started = Date()
        do {
            checkpoint = try Checkpoint.open(candidate.path)
            measurement = try Drift.measure(candidate: checkpoint, base: context.base, profile: context.retain, reference: context.reference)
        } catch {
            record.driftSeconds = Date().timeIntervalSince(started)
            fail(&record, error, candidate: candidate.path)
            return .recorded
        }
        record.driftSeconds = Date().timeIntervalSince(started)
        let report = measurement.report
        if let done = try? history.outcome(path: candidate.path, fingerprint: report.fingerprint) {
            // Same weights, files touched: the outcome stands.
            try? history.resolveDuplicate(claim: record, of: done)
            logger.debug("checkpoint unchanged since its outcome", metadata: ["retaind.checkpoint": "\(candidate.path)"])
            return .duplicate
        }
        record.fingerprint = report.fingerprint
        record.baseFingerprint = report.baseFingerprint
        record.drift = report.drift
        record.driftMax = report.driftMax
        record.driftMaxModule = report.driftMaxModule
        modules = report.modules.map {
            ModuleRecord(checkpointID: 0, name: $0.name, site: $0.site, rho: $0.rho, beta: $0.beta, energy: $0.energy,
                         referenceEnergy: $0.referenceEnergy, energyUpper: $0.energyUpper)
        }
        var over = report.drift > settings.gate.threshold || settings.gate.thresholdMax.map { report.driftMax > $0 } ?? false
        if let ratio = settings.gate.retainPPLRatio, let verification = watch.verification,
           let data = verification.retain, let base = verification.baseRetainPPL {
            // Gate on measured damage; a candidate that cannot be evaluated keeps the drift gate.
            record.retainPPLBase = base
            do {
                refreshDeadline()
                let ppl = try verification.perplexity(of: candidate.path, on: data)
                record.retainPPLBefore = ppl
                over = ppl > ratio * base
            } catch {
                record.verifyError = "\(error); gated on drift instead"
            }
        }
        guard over else {
            record.status = .passed
            return .recorded
        }
        guard settings.restore.enabled else {
            record.status = .flagged
            return .recorded
        }
        let destination = outputPath(for: candidate, root: outputRoot, fingerprint: report.fingerprint)
        let restoreStarted = Date()
        do {
            notifier.status("restoring \(candidate.path)")
            let restored: RestoreReport
            if let tune = settings.restore.tune, let verification = watch.verification {
                let (chosen, all) = try tunedRestore(checkpoint, context: context, settings: settings, tune: tune,
                                                     verification: verification, measured: measurement, destination: destination,
                                                     outputRoot: outputRoot)
                restored = chosen.report
                record.retainPPLBase = verification.baseRetainPPL
                record.retainPPLAfter = chosen.retainPPL
                record.forgetPPLAfter = chosen.forgetPPL
                trials = all.map {
                    TuneTrialRecord(checkpointID: 0, alpha: $0.report.alpha, gamma: $0.report.gamma, driftAfter: $0.report.driftAfter,
                                    forgetKept: $0.report.forgetKept, retainPPL: $0.retainPPL, forgetPPL: $0.forgetPPL,
                                    chosen: $0.report.path == chosen.report.path)
                }
            } else {
                restored = try Restore.run(candidate: checkpoint, base: context.base, retain: context.retain, forget: context.forget,
                                           options: settings.restore.options, destination: destination, measured: measurement,
                                           version: RetaindVersion.current)
            }
            record.restoreSeconds = Date().timeIntervalSince(restoreStarted)
            record.status = .restored
            record.restoredPath = destination
            record.driftAfter = restored.driftAfter
            record.forgetKept = restored.forgetKept
            record.updateKept = restored.updateKept
            record.alpha = restored.alpha
            record.gamma = restored.gamma
            record.outputDType = restored.outputDType
            if let verification = watch.verification { verify(&record, candidate: candidate.path, restored: destination, verification) }
            let after = Dictionary(uniqueKeysWithValues: restored.modules.map { ($0.name, $0) })
            for i in modules.indices {
                guard let module = after[modules[i].name] else { continue }
                modules[i].rhoAfter = module.rhoAfter
                modules[i].updateKept = module.updateKept
                modules[i].forgetKept = module.forgetKept
            }
        } catch {
            record.restoreSeconds = Date().timeIntervalSince(restoreStarted)
            fail(&record, error, candidate: candidate.path)
        }
        return .recorded
    }

    /// Retain and forget perplexity of the candidate and of what was written. A failure
    /// is recorded in `verify_error`; the restore stands.
    private func verify(_ record: inout CheckpointRecord, candidate: String, restored: String, _ verification: Verification) {
        record.retainPPLBase = verification.baseRetainPPL
        do {
            if let data = verification.retain {
                if record.retainPPLBefore == nil {
                    refreshDeadline()
                    record.retainPPLBefore = try verification.perplexity(of: candidate, on: data)
                }
                if record.retainPPLAfter == nil {
                    refreshDeadline()
                    record.retainPPLAfter = try verification.perplexity(of: restored, on: data)
                }
            }
            if let data = verification.forget {
                refreshDeadline()
                record.forgetPPLBefore = try verification.perplexity(of: candidate, on: data)
                if record.forgetPPLAfter == nil {
                    refreshDeadline()
                    record.forgetPPLAfter = try verification.perplexity(of: restored, on: data)
                }
            }
        } catch {
            record.verifyError = "\(error)"
        }
    }

    /// Gives the next long step (a restore of the tuning grid, an evaluation) its own
    /// deadline, as long as the first.
    func refreshDeadline() {
        lock.lock()
        if let current = busy { busy = (Date().addingTimeInterval(current.allowance), current.allowance) }
        lock.unlock()
    }

    /// Classifies a failure: the checkpoint went away (`vanished`), the checkpoint is
    /// unusable (`rejected`), or the daemon could not do its part (`error`).
    private func fail(_ record: inout CheckpointRecord, _ error: any Error, candidate path: String) {
        record.error = "\(error)"
        if CheckpointLayout.detect(directory: path) == nil {
            record.status = .vanished
            record.error = "the checkpoint disappeared while it was processed (\(error))"
            return
        }
        if let drift = error as? DriftError {
            switch drift.reason {
            case .output, .linalg, .forgetProfileMismatch, .profileForAnotherBase:
                record.status = .error
            default:
                record.status = .rejected
            }
            return
        }
        record.status = error is CheckpointError ? .rejected : .error
    }

    /// `<output_root>/<watch>/<root's name>/<checkpoint's path under the root>`, made
    /// unique with the fingerprint when an earlier version of the checkpoint was restored.
    private func outputPath(for candidate: Candidate, root: String, fingerprint: String) -> String {
        var relative = String(candidate.path.dropFirst(candidate.root.count))
        while relative.hasPrefix("/") { relative.removeFirst() }
        let base = [root, candidate.watch, (candidate.root as NSString).lastPathComponent, relative].joined(separator: "/")
        var path = base
        var attempt = 1
        while FileManager.default.fileExists(atPath: path) {
            if Self.isOrphanedOutput(path, source: candidate.path, fingerprint: fingerprint) {
                // Published by a daemon that died before recording it: this run replaces it.
                try? FileManager.default.removeItem(atPath: path)
                return path
            }
            path = attempt == 1 ? "\(base).\(fingerprint.prefix(12))" : "\(base).\(fingerprint.prefix(12)).\(attempt)"
            attempt += 1
        }
        return path
    }

    /// Whether `path` is a restore of these very weights whose outcome never reached the
    /// history (the caller has checked there is none).
    private static func isOrphanedOutput(_ path: String, source: String, fingerprint: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path + "/retaind.json"),
              let provenance = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return provenance["source_path"] as? String == source && provenance["source_fingerprint"] as? String == fingerprint
    }

    /// A step gets 2 minutes plus 20 s per GB of weights: far above the measured cost of
    /// drift and restore (≈ 20 s for 2 GB), so only a stuck pass misses it.
    private func beginBusy(weightBytes: Int) {
        let allowance = 120 + 20 * Double(weightBytes) / 1e9
        lock.lock()
        busy = (Date().addingTimeInterval(allowance), allowance)
        lock.unlock()
    }

    private func endBusy() {
        lock.lock()
        busy = nil
        lock.unlock()
    }
}
