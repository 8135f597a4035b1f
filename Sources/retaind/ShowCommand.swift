import ArgumentParser
import CentralHistory
import Journal
import Daemon
import Foundation
import History
import Report

/// `retaind show`: one checkpoint's outcome with its per-module figures.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a checkpoint's outcome and per-module drift, before and after restoring.",
        discussion: "Exits 1 when no outcome matches. --central finds it in [store.central], on any host (or --host)."
    )

    @OptionGroup var state: StateOptions
    @OptionGroup var fleet: CentralOptions

    @Argument(help: "The checkpoint's path, or its fingerprint (a prefix of 8+ hex digits will do).")
    var key: String

    @Flag(help: "Print JSON (an array of one row, with a `modules` array).")
    var json = false

    @Option(help: "Modules to list in the table, worst first (all with --json).")
    var top = 20

    @Option(help: "Also write the outcome with ρ heatmaps (by layer × module kind, before and after restoring) to this self-contained HTML file.")
    var html: String?

    func run() async throws {
        if fleet.central { return try await runCentral() }
        let history = try state.openHistory()
        let absolute = WorkingDirectory.absolute(key)
        guard let (record, modules) = try history.outcome(matching: key) ?? history.outcome(matching: LexicalPath.normalized(absolute)) else {
            if let pending = try history.pending(path: key) ?? history.pending(path: LexicalPath.normalized(absolute)) {
                try showPending(pending)
                return
            }
            throw Failure("no outcome for \(key) in \(history.path)")
        }
        try show(record, modules, trials: (try? history.trials(of: record.id!)) ?? [], host: nil)
    }

    /// The outcome from the central history, with the host it came from.
    private func runCentral() async throws {
        let connection = try await CentralOptions.connect(try state.loadConfiguration())
        let found: (CentralRecord, [ModuleRecord])?
        do {
            found = try await connection.outcome(matching: key, host: fleet.host)
            await connection.close()
        } catch {
            await connection.close()
            throw error
        }
        guard let (central, modules) = found else { throw Failure("no outcome for \(key) in the central history") }
        try show(central.record, modules, trials: [], host: central.host)
    }

    private func show(_ record: CheckpointRecord, _ modules: [ModuleRecord], trials: [TuneTrialRecord], host: String?) throws {
        if let html {
            try HTMLFile.write(CheckpointPage.html(record, modules: modules, dates: ReportDates(generatedAt: Date())), to: html)
        }
        if json {
            // The record's keys, plus its modules and tuning trials without the history's
            // internal `checkpoint_id`.
            var row = try Output.jsonObject(record)
            if let host { row["host"] = host }
            row["modules"] = try modules.map { try Output.jsonObject($0, dropping: "checkpoint_id") }
            if !trials.isEmpty { row["tune"] = try trials.map { try Output.jsonObject($0, dropping: "checkpoint_id") } }
            try Output.printJSON(object: [row])
            return
        }
        func f(_ x: Double?) -> String { x.map { String(format: "%.6g", $0) } ?? "-" }
        say("checkpoint   \(record.path)")
        if let host { say("host         \(host)") }
        say("status       \(record.status.rawValue)  (watch \(record.watch))")
        if let fingerprint = record.fingerprint { say("fingerprint  \(fingerprint)") }
        if let base = record.baseFingerprint { say("base         \(base)") }
        if record.drift != nil {
            say("drift        \(f(record.drift))  (threshold \(f(record.threshold)))")
            say("drift_max    \(f(record.driftMax))  \(record.driftMaxModule ?? "")")
        }
        if let restored = record.restoredPath {
            say("restored     \(restored)")
            say("drift_after  \(f(record.driftAfter))   forget_kept \(f(record.forgetKept))   update_kept \(f(record.updateKept))")
            say("alpha/gamma  \(f(record.alpha)) / \(f(record.gamma))   dtype \(record.outputDType ?? "-")")
        }
        if let error = record.error { say("error        \(error)") }
        if record.retainPPLBefore != nil || record.retainPPLBase != nil {
            say("retain ppl   base \(f(record.retainPPLBase))   before \(f(record.retainPPLBefore))   after \(f(record.retainPPLAfter))")
        }
        if record.forgetPPLBefore != nil || record.forgetPPLAfter != nil {
            say("forget ppl   before \(f(record.forgetPPLBefore))   after \(f(record.forgetPPLAfter))")
        }
        if let verifyError = record.verifyError { say("verify       \(verifyError)") }
        if let tuneData = record.tuneData {
            say("tuned on     \(tuneData)  (\(record.tuneEvaluations ?? trials.count) settings evaluated)")
        }
        if let verifyData = record.verifyData { say("verified on  \(verifyData)") }
        if !trials.isEmpty {
            func column(_ x: Double?, _ width: Int) -> String { f(x).padding(toLength: width, withPad: " ", startingAt: 0) }
            say("")
            say("tuning       alpha       gamma       drift_after  update_kept  retain_ppl  forget_ppl  stage")
            for t in trials {
                say((t.chosen ? "  chosen →   " : "             ") + column(t.alpha, 12) + column(t.gamma, 12) + column(t.driftAfter, 13)
                      + column(t.updateKept, 13) + column(t.retainPPL, 12) + column(t.forgetPPL, 12) + (t.stage ?? "grid"))
            }
        }
        let worst = modules.sorted { $0.rho > $1.rho }.prefix(max(0, top))
        guard !worst.isEmpty else { return }
        let width = max(6, worst.map(\.name.count).max()!)
        say("")
        say("module".padding(toLength: width, withPad: " ", startingAt: 0) + "  rho         rho_after   beta")
        for m in worst {
            say(m.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                  + f(m.rho).padding(toLength: 10, withPad: " ", startingAt: 0) + "  "
                  + f(m.rhoAfter).padding(toLength: 10, withPad: " ", startingAt: 0) + "  " + f(m.beta))
        }
    }

    /// A checkpoint the daemon has seen but that is not ready yet.
    private func showPending(_ pending: PendingRecord) throws {
        if json {
            var row = try Output.jsonObject(pending)
            row["status"] = "pending"
            try Output.printJSON(object: [row])
            return
        }
        say("checkpoint   \(pending.path)")
        say("status       pending  (watch \(pending.watch))")
        say("since        \(ISO8601DateFormatter().string(from: pending.firstSeen))")
        say("waiting      \(pending.reason)")
    }

    private func say(_ line: String) { print(ControlCharacters.escaped(line)) }
}
