import Foundation
import History
import SVGCharts

/// A run's drift against the training step: the threshold, every checkpoint marked by
/// its outcome, restored ones with their drift_after below.
public enum DriftChart {
    /// The chart; `link` gives the anchor of a checkpoint whose detail is in the report.
    public static func chart(_ run: RunHistory, dates: ReportDates, link: (CheckpointRecord) -> String? = { _ in nil }) -> LineChart {
        let x = XPositions(run)
        var chart = LineChart(xLabel: x.label, yLabel: "drift (RMS of ρ, unitless)",
                              summary: "Drift against step for \(run.run): \(run.checkpoints.count) checkpoints")
        // Past ~150 checkpoints across 560 px, full-size marks would cover each other.
        if run.checkpoints.count > 150 { chart.markRadius = 2.5 }
        let measured = run.checkpoints.compactMap { $0.drift }
        let positive = (measured + run.checkpoints.compactMap(\.driftAfter) + run.checkpoints.compactMap(\.threshold)).filter { $0 > 0 }
        // Decades apart (a restored 1e-4 under a 0.5): a log axis keeps both readable.
        if let low = positive.min(), let high = positive.max(), high / low > 200 { chart.yScale = .log }
        let onLog = chart.yScale == .log
        func plotted(_ value: Double?) -> Double? { value.flatMap { onLog && $0 <= 0 ? nil : $0 } }

        // The line follows the checkpoints that trained; an unchanged one (a copy of the base)
        // is marked on its own rather than pulling the curve to zero.
        chart.series.append(.init(name: "drift", points: run.checkpoints.filter { $0.drift != nil && $0.status != .unchanged }
                                    .map { (x.of($0), plotted($0.drift)) },
                                  stroke: StatusStyle.drift))
        let thresholds = Set(run.checkpoints.compactMap(\.threshold))
        if thresholds.count == 1, let threshold = thresholds.first {
            chart.referenceLines.append(.init(y: threshold, label: "threshold " + Figures.short(threshold), stroke: StatusStyle.threshold))
        } else if thresholds.count > 1 {
            chart.series.append(.init(name: "threshold (changed during the run)", points: run.checkpoints.map { (x.of($0), $0.threshold) },
                                      stroke: StatusStyle.threshold, dash: "6 4"))
        }
        for record in run.checkpoints {
            let style = StatusStyle.mark(for: record.status)
            let name = (record.path as NSString).lastPathComponent
            var title = "\(name) · \(x.describe(record)) · \(record.status.rawValue)"
            if let drift = record.drift { title += " · drift \(Figures.exact(drift))" }
            if let threshold = record.threshold { title += " (threshold \(Figures.exact(threshold)))" }
            if let after = record.driftAfter { title += " · drift_after \(Figures.exact(after))" }
            if let error = record.error { title += " · \(error)" }
            title += " · detected \(dates.iso(record.detectedAt))"
            chart.marks.append(.init(x: x.of(record), y: plotted(record.drift), shape: style.shape, fill: style.fill,
                                     title: Figures.safe(title), link: link(record), role: record.status.rawValue))
            if record.status == .restored, let after = record.driftAfter {
                if let drift = plotted(record.drift), let shown = plotted(after) {
                    chart.connectors.append(.init(x: x.of(record), from: drift, to: shown))
                }
                chart.marks.append(.init(x: x.of(record), y: plotted(after), shape: .diamond, fill: StatusStyle.driftAfter,
                                         title: Figures.safe("\(name) · \(x.describe(record)) · restored: drift_after \(Figures.exact(after))"),
                                         link: link(record), role: "drift-after"))
            }
        }
        let statuses = Set(run.checkpoints.map(\.status))
        chart.legend.append(.init(.marker(.circle, fill: StatusStyle.drift), "drift"))
        if statuses.contains(.restored) { chart.legend.append(.init(.marker(.diamond, fill: StatusStyle.driftAfter), "drift after restoring")) }
        if statuses.contains(.flagged) { chart.legend.append(.init(.marker(.triangle, fill: StatusStyle.flagged), "flagged (not restored)")) }
        if statuses.contains(.unchanged) { chart.legend.append(.init(.marker(.square, fill: StatusStyle.unchanged), "unchanged")) }
        if !statuses.isDisjoint(with: [.rejected, .error, .vanished]) {
            chart.legend.append(.init(.marker(.cross, fill: StatusStyle.failed), "rejected / error (no drift)"))
        }
        if !thresholds.isEmpty { chart.legend.append(.init(.line(stroke: StatusStyle.threshold, dash: "6 4"), "threshold")) }
        return chart
    }
}

/// The x of each checkpoint: its step, or its position in the run when a name has no step.
struct XPositions {
    let byStep: Bool
    let order: [String: Int]

    init(_ run: RunHistory) {
        byStep = run.checkpoints.allSatisfy { RunHistory.step(of: $0) != nil }
        order = Dictionary(run.checkpoints.enumerated().map { ($1.path, $0 + 1) }, uniquingKeysWith: { a, _ in a })
    }

    var label: String { byStep ? "training step (from the checkpoint's name)" : "checkpoint (in order)" }

    func of(_ record: CheckpointRecord) -> Double {
        Double(byStep ? RunHistory.step(of: record)! : order[record.path] ?? 0)
    }

    func describe(_ record: CheckpointRecord) -> String {
        byStep ? "step \(RunHistory.step(of: record)!)" : "#\(order[record.path] ?? 0)"
    }
}
