import ArgumentParser
import Foundation
import History
import Report

/// `retaind report`: every run's drift curve in one HTML file that opens offline.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML drift report: each run's drift and perplexity against step, ρ heatmaps per checkpoint.",
        discussion: """
            One self-contained file (inline SVG and CSS, no script, nothing fetched), to open \
            offline, keep as a CI artifact or attach to a mail. Each run gets its drift curve \
            with the threshold, restored checkpoints with their drift_after, rejected and \
            unchanged ones marked, and retain/forget perplexity where verified. Checkpoints \
            over the threshold, then the newest, get a heatmap section (--heatmaps) linked \
            from their marks. Times are ISO 8601 in $TZ's zone with the offset written out.
            """
    )

    @OptionGroup var state: StateOptions

    @Option(help: "Only this watch.")
    var watch: String?

    @Option(name: .customLong("run"), help: "Only this run: the directory holding its checkpoints, or that directory's name.")
    var runName: String?

    @Option(help: "Only outcomes detected since then: an ISO 8601 date or time, or an age such as 30m, 12h, 7d.")
    var since: String?

    @Option(help: "At most this many checkpoints get a ρ heatmap section (0: none; ~32 KB per heatmap of 210 modules, two for a restored checkpoint).")
    var heatmaps = 50

    @Option(help: "The HTML file to write (replaced atomically).")
    var out: String

    func validate() throws {
        if let since, SinceParser.date(since) == nil {
            throw ValidationError("--since: “\(since)” is neither an ISO 8601 date/time nor an age like 12h or 7d")
        }
        guard heatmaps >= 0 else { throw ValidationError("--heatmaps must be 0 or more") }
    }

    func run() throws {
        let history = try state.openHistory()
        let records = try history.records(.init(watch: watch, since: since.flatMap { SinceParser.date($0) }))
        var report = DriftReport(records: records, dates: ReportDates(generatedAt: Date()), scope: scope, source: history.path,
                                 heatmapLimit: heatmaps)
        if let runName {
            let wanted = WorkingDirectory.absolute(runName)
            report.runs = report.runs.filter { $0.isNamed(runName) || $0.isNamed(wanted) }
            guard !report.runs.isEmpty else { throw Failure("no run \(runName) in \(history.path) (retaind runs lists them)") }
        }
        let html = report.html(modules: try history.modules(of: report.detailed))
        try HTMLFile.write(html, to: out)
        let checkpoints = report.runs.reduce(0) { $0 + $1.checkpoints.count }
        print("wrote \(WorkingDirectory.absolute(out)): \(report.runs.count) run\(report.runs.count == 1 ? "" : "s"), \(checkpoints) checkpoints, \(report.detailed.count) heatmaps, \(Output.bytes(html.utf8.count))")
    }

    private var scope: String {
        var parts: [String] = []
        if let watch { parts.append("watch \(watch)") }
        if let runName { parts.append("run \(runName)") }
        if let since { parts.append("since \(since)") }
        return parts.isEmpty ? "all outcomes" : parts.joined(separator: ", ")
    }
}

/// Writing a report: atomically, so a reader never opens half a file.
enum HTMLFile {
    static func write(_ html: String, to path: String) throws {
        let absolute = WorkingDirectory.absolute(path)
        do {
            try Data(html.utf8).write(to: URL(fileURLWithPath: absolute), options: .atomic)
        } catch {
            throw Failure("cannot write \(absolute): \((error as NSError).localizedFailureReason ?? error.localizedDescription) — check that the directory exists and is writable")
        }
    }
}
