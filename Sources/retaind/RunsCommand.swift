import ArgumentParser
import CentralHistory
import Daemon
import Foundation
import History

/// `retaind runs`: one line per run directory, with the checkpoint to use now.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Summarise each run directory: checkpoints, outcomes, drift, the checkpoint to use now.",
        discussion: """
            A run is the directory holding checkpoints. "use" is the newest checkpoint that \
            passed, or the restored output of the newest restored one, whichever is newer; \
            pending checkpoints are those not ready yet. --central summarises every host's runs \
            from [store.central] (pending checkpoints stay on their host).
            """
    )

    @OptionGroup var state: StateOptions
    @OptionGroup var fleet: CentralOptions

    @Option(help: "Only this watch.")
    var watch: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        let runs: [(host: String?, run: RunSummary)]
        if fleet.central {
            let connection = try await CentralOptions.connect(try state.loadConfiguration())
            let rows: [CentralRecord]
            do {
                rows = try await connection.records(.init(host: fleet.host, watch: watch))
                await connection.close()
            } catch {
                await connection.close()
                throw error
            }
            runs = Dictionary(grouping: rows, by: \.host).sorted { $0.key < $1.key }.flatMap { host, rows in
                RunSummary.runs(records: rows.map(\.record), pending: []).map { (Optional(host), $0) }
            }
        } else {
            let history = try state.openHistory()
            do {
                runs = RunSummary.runs(records: try history.records(.init(watch: watch)), pending: try history.pending(watch: watch))
                    .map { (nil, $0) }
            } catch {
                Output.error("error: \(error)")
                throw ExitCode(1)
            }
        }
        if json {
            try Output.printJSON(object: try runs.map { host, run -> [String: Any] in
                var object = try Output.jsonObject(run)
                if let host { object["host"] = host }
                return object
            })
            return
        }
        guard !runs.isEmpty else {
            print("no runs\(watch.map { " for watch \($0)" } ?? "")")
            return
        }
        func f(_ x: Double?) -> String { x.map { String(format: "%.4g", $0) } ?? "-" }
        var table = [(fleet.central ? ["host"] : []) + ["watch", "run", "ckpts", "step", "statuses", "drift first→newest", "pending", "use"]]
        for (host, run) in runs {
            let statuses = run.statuses.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            table.append((host.map { [$0] } ?? []) + [run.watch, run.run, "\(run.checkpoints)", run.newestStep.map(String.init) ?? "-", statuses,
                          "\(f(run.driftFirst))→\(f(run.driftNewest))", "\(run.pending.count)", run.use ?? "-"])
        }
        Output.printTable(table)
    }
}
