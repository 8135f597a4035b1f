import ArgumentParser
import Daemon
import Foundation
import History

/// `retaind runs`: one line per run directory, with the checkpoint to use now.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Summarise each run directory: checkpoints, outcomes, drift, the checkpoint to use now.",
        discussion: """
            A run is the directory holding checkpoints. "use" is the newest checkpoint that \
            passed, or the restored output of the newest restored one, whichever is newer; \
            pending checkpoints are those not ready yet.
            """
    )

    @OptionGroup var state: StateOptions

    @Option(help: "Only this watch.")
    var watch: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let history = try state.openHistory()
        let runs: [RunSummary]
        do {
            runs = RunSummary.runs(records: try history.records(.init(watch: watch)), pending: try history.pending(watch: watch))
        } catch {
            Output.error("error: \(error)")
            throw ExitCode(1)
        }
        if json {
            try Output.printJSON(runs)
            return
        }
        guard !runs.isEmpty else {
            print("no runs\(watch.map { " for watch \($0)" } ?? "")")
            return
        }
        func f(_ x: Double?) -> String { x.map { String(format: "%.4g", $0) } ?? "-" }
        var table = [["watch", "run", "ckpts", "step", "statuses", "drift first→newest", "pending", "use"]]
        for run in runs {
            let statuses = run.statuses.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            table.append([run.watch, run.run, "\(run.checkpoints)", run.newestStep.map(String.init) ?? "-", statuses,
                          "\(f(run.driftFirst))→\(f(run.driftNewest))", "\(run.pending.count)", run.use ?? "-"])
        }
        Output.printTable(table)
    }
}
