import Foundation
import History
import Plot
import SVGCharts

/// One checkpoint's detail: its outcome in figures and the ρ heatmaps before and after
/// restoring. The report and `retaind show --html` both draw it.
enum CheckpointSection {
    /// The anchor of checkpoint row `id` in a report.
    static func anchor(_ id: Int64?) -> String { "ckpt-\(id ?? 0)" }

    static func node(_ record: CheckpointRecord, modules: [ModuleRecord], dates: ReportDates, heading: Bool = true) -> Node<HTML.BodyContext> {
        let grid = ModuleGrid(modules)
        let maps = RhoHeatmaps.heatmaps(grid)
        let name = Figures.safe((record.path as NSString).lastPathComponent)
        return .section(
            .class("checkpoint"), .id(anchor(record.id)),
            .if(heading, .h3(.text(name + " — " + record.status.rawValue))),
            .p(.class("meta"), .text(Figures.safe(record.path))),
            .p(.class("meta"), .text("detected "), TimeText.node(record.detectedAt, dates),
               .text("  ·  watch \(Figures.safe(record.watch))"),
               .unwrap(RunHistory.step(of: record)) { .text("  ·  step \($0)") }),
            .table(
                .tr(.th("drift"), .th("threshold"), .th("drift_max"), .th(.class("name"), .text("drift_max module")), .th("drift_after"),
                    .th("forget_kept"), .th("retain ppl base / before / after"), .th("forget ppl before / after")),
                .tr(.td(.text(Figures.cell(record.drift))), .td(.text(Figures.cell(record.threshold))), .td(.text(Figures.cell(record.driftMax))),
                    .td(.class("name"), .text(Figures.safe(record.driftMaxModule ?? "–"))), .td(.text(Figures.cell(record.driftAfter))),
                    .td(.text(Figures.cell(record.forgetKept))),
                    .td(.text([record.retainPPLBase, record.retainPPLBefore, record.retainPPLAfter].map(Figures.cell).joined(separator: " / "))),
                    .td(.text([record.forgetPPLBefore, record.forgetPPLAfter].map(Figures.cell).joined(separator: " / "))))
            ),
            .unwrap(record.error) { .p(.class("meta"), .text("error: " + Figures.safe($0))) },
            .unwrap(record.restoredPath) { .p(.class("meta"), .text("restored to " + Figures.safe($0))) },
            .if(maps.isEmpty, .p(.class("meta"), .text(modules.isEmpty ? "No module figures in the history for this outcome." : "No module has a layer number."))),
            .forEach(maps) { map in
                .element(named: "figure", nodes: [
                    .element(named: "figcaption", nodes: [.text("\(map.summary): hover a cell for the module and its value")]),
                    .raw(map.render().render()),
                ])
            },
            .if(!grid.outside.isEmpty, .table(
                .tr(.th(.class("name"), .text("module outside the layers")), .th("ρ"), .th("ρ after restoring")),
                .forEach(grid.outside) { module in
                    .tr(.td(.class("name"), .text(Figures.safe(module.name))), .td(.text(Figures.exact(module.rho))),
                        .td(.text(module.rhoAfter.map(Figures.exact) ?? "–")))
                }
            ))
        )
    }
}

/// A date in the reader's terms: `<time>` with ISO 8601 and its offset, and the age.
enum TimeText {
    static func node(_ date: Date, _ dates: ReportDates) -> Node<HTML.BodyContext> {
        .group(.time(.datetime(dates.iso(date)), .text(dates.iso(date))), .text(" (\(dates.relative(date)))"))
    }
}
