import Foundation
import History
import Plot
import SVGCharts

/// `retaind report`: one self-contained HTML file (inline SVG and CSS, no script, nothing
/// fetched) with every run's drift and perplexity curves and the ρ heatmaps of chosen
/// checkpoints, linked from the curves by anchor so the file travels alone.
public struct DriftReport: Sendable {
    public var runs: [RunHistory]
    public var dates: ReportDates
    /// What was selected (`watch w · since …`), shown under the title.
    public var scope: String
    /// The history file the report was made from.
    public var source: String
    /// At most this many checkpoints get a heatmap section (~32 KB per heatmap of 210 modules).
    public var heatmapLimit: Int

    public init(records: [CheckpointRecord], dates: ReportDates, scope: String, source: String, heatmapLimit: Int) {
        runs = RunHistory.runs(records)
        self.dates = dates
        self.scope = scope
        self.source = source
        self.heatmapLimit = heatmapLimit
    }

    /// The checkpoint rows whose heatmaps the report holds: those over the threshold
    /// (restored, flagged) first, then the rest, newest first within each, up to the limit.
    public var detailed: [Int64] {
        let candidates = runs.flatMap(\.checkpoints).filter { $0.drift != nil && $0.id != nil }
        let over: Set<CheckpointStatus> = [.restored, .flagged]
        return candidates.sorted {
            (over.contains($0.status) ? 0 : 1, -$0.detectedAt.timeIntervalSince1970, -($0.id ?? 0))
                < (over.contains($1.status) ? 0 : 1, -$1.detectedAt.timeIntervalSince1970, -($1.id ?? 0))
        }.prefix(max(0, heatmapLimit)).map { $0.id! }
    }

    /// The HTML, with the heatmaps of `modules` (row id → figures) for the checkpoints in ``detailed``.
    public func html(modules: [Int64: [ModuleRecord]]) -> String {
        let detailedIDs = Set(detailed)
        let linked: (CheckpointRecord) -> String? = { record in
            record.id.flatMap { detailedIDs.contains($0) ? "#" + CheckpointSection.anchor($0) : nil }
        }
        let details = runs.flatMap(\.checkpoints).filter { $0.id.map(detailedIDs.contains) ?? false }
            .sorted { ($0.path, $0.detectedAt) < ($1.path, $1.detectedAt) }
        let total = runs.reduce(0) { $0 + $1.checkpoints.count }
        let html = HTML(
            .lang(.english),
            .head(
                .meta(.charset(.utf8)),
                .meta(.name("viewport"), .content("width=device-width, initial-scale=1")),
                .title("retaind drift report"),
                .style(ReportStyle.css)
            ),
            .body(
                .h1("retaind drift report"),
                .p(.class("meta"), .text("made "), TimeText.node(dates.generatedAt, dates),
                   .text(" from \(Figures.safe(source)) · \(Figures.safe(scope)) · \(runs.count) run\(runs.count == 1 ? "" : "s"), \(total) checkpoints")),
                .p(.class("meta"), .text("Times are ISO 8601 in the zone the report was made in (\(dates.timeZone.identifier)), offset written out; ages are relative to when the report was made. Hover a mark or a cell for its numbers; marks with a detail section below link to it.")),
                .if(runs.isEmpty, .p(.text("No outcomes match."))),
                .if(runs.count > 1, .ul(.forEach(runs.enumerated()) { i, run in
                    .li(.a(.href("#run-\(i + 1)"), .text("\(Figures.safe(run.run)) (watch \(Figures.safe(run.watch)), \(run.checkpoints.count) checkpoints)")))
                })),
                .forEach(runs.enumerated()) { i, run in runSection(run, index: i + 1, linked: linked) },
                .if(!details.isEmpty, .group(
                    .h2("Checkpoints: ρ by layer and module kind"),
                    .p(.class("meta"), .text("\(details.count) of \(total) checkpoints (those over the threshold first, then the newest; --heatmaps sets how many). For any other: retaind show --html FILE CHECKPOINT.")),
                    .forEach(details) { record in CheckpointSection.node(record, modules: modules[record.id!] ?? [], dates: dates) }
                ))
            )
        )
        return html.render()
    }

    private func runSection(_ run: RunHistory, index: Int, linked: @escaping (CheckpointRecord) -> String?) -> Node<HTML.BodyContext> {
        let statuses = Dictionary(grouping: run.checkpoints, by: \.status).map { "\($0.key.rawValue) \($0.value.count)" }.sorted().joined(separator: ", ")
        let drift = DriftChart.chart(run, dates: dates, link: linked)
        let perplexities = [PerplexityChart.chart(run, .retain), PerplexityChart.chart(run, .forget)].compactMap { $0 }
        let newest = run.checkpoints.map(\.detectedAt).max()
        return .section(
            .class("run"), .id("run-\(index)"),
            .h2(.text(Figures.safe(run.run))),
            .p(.class("meta"), .text("watch \(Figures.safe(run.watch)) · \(run.checkpoints.count) checkpoints: \(statuses)"),
               .unwrap(newest) { .group(.text(" · newest detected "), TimeText.node($0, dates)) }),
            .element(named: "figure", nodes: [
                .element(named: "figcaption", nodes: [.text("Drift against step; the dashed line is the gate's threshold.")]),
                .raw(drift.render().render()),
            ]),
            .forEach(perplexities) { chart in
                .element(named: "figure", nodes: [.element(named: "figcaption", nodes: [.text(chart.summary.prefix(1).uppercased() + chart.summary.dropFirst())]),
                                                  .raw(chart.render().render())])
            },
            .details(
                .summary(.text("Table of the \(run.checkpoints.count) checkpoints")),
                .table(
                    .tr(.th("step"), .th(.class("name"), .text("checkpoint")), .th("status"), .th("drift"), .th("threshold"), .th("drift_after"),
                        .th("retain ppl before / after"), .th("forget ppl before / after"), .th(.class("name"), .text("detected"))),
                    .forEach(run.checkpoints) { record in
                        let name = Figures.safe((record.path as NSString).lastPathComponent)
                        return .tr(
                            .td(.text(RunHistory.step(of: record).map(String.init) ?? "–")),
                            .td(.class("name"), .unwrap(linked(record), { .a(.href($0), .text(name)) }, else: .text(name))),
                            .td(.class("status-\(record.status.rawValue)"), .text(record.status.rawValue)),
                            .td(.text(Figures.cell(record.drift))), .td(.text(Figures.cell(record.threshold))), .td(.text(Figures.cell(record.driftAfter))),
                            .td(.text(Figures.cell(record.retainPPLBefore) + " / " + Figures.cell(record.retainPPLAfter))),
                            .td(.text(Figures.cell(record.forgetPPLBefore) + " / " + Figures.cell(record.forgetPPLAfter))),
                            .td(.class("name"), .text(dates.iso(record.detectedAt)))
                        )
                    }
                )
            )
        )
    }
}

/// `retaind show --html`: one checkpoint's outcome and heatmaps as a self-contained page.
public enum CheckpointPage {
    public static func html(_ record: CheckpointRecord, modules: [ModuleRecord], dates: ReportDates) -> String {
        let name = Figures.safe((record.path as NSString).lastPathComponent)
        return HTML(
            .lang(.english),
            .head(.meta(.charset(.utf8)), .title("retaind: \(name)"), .style(ReportStyle.css)),
            .body(
                .h1(.text("\(name) — \(record.status.rawValue)")),
                .p(.class("meta"), .text("made "), TimeText.node(dates.generatedAt, dates),
                   .text(" · times in \(dates.timeZone.identifier), offset written out; hover a cell for the module and its value")),
                CheckpointSection.node(record, modules: modules, dates: dates, heading: false)
            )
        ).render()
    }
}
