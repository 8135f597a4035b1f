import Foundation
import History
import SVGCharts

/// A run's perplexity on the retain data (or the forget data) before and after
/// restoring, where `[watch.verify]` measured it; black and grey with dash styles, so it
/// prints in greyscale.
public enum PerplexityChart {
    public enum DataSet: String, Sendable { case retain, forget }

    /// The chart, or nil when no checkpoint of the run has these perplexities.
    public static func chart(_ run: RunHistory, _ data: DataSet) -> LineChart? {
        let before: (CheckpointRecord) -> Double? = data == .retain ? { $0.retainPPLBefore } : { $0.forgetPPLBefore }
        let after: (CheckpointRecord) -> Double? = data == .retain ? { $0.retainPPLAfter } : { $0.forgetPPLAfter }
        let verified = run.checkpoints.filter { before($0) != nil || after($0) != nil }
        guard !verified.isEmpty else { return nil }
        let x = XPositions(run)
        var chart = LineChart(xLabel: x.label, yLabel: "\(data.rawValue) perplexity (per token, unitless)",
                              summary: "\(data.rawValue) perplexity before and after restoring for \(run.run)")
        chart.height = 240
        chart.yFromZero = false
        // The drift chart's x range, so the charts of a run line up step for step.
        let xs = run.checkpoints.map(x.of)
        chart.xDomain = xs.min().flatMap { low in xs.max().map { low...$0 } }
        chart.series.append(.init(name: "before restoring", points: verified.map { (x.of($0), before($0)) }, stroke: "#222222"))
        chart.series.append(.init(name: "after restoring", points: verified.map { (x.of($0), after($0)) }, stroke: "#222222", dash: "5 3"))
        chart.legend = [.init(.line(stroke: "#222222", dash: nil), "checkpoint (before restoring)"),
                        .init(.line(stroke: "#222222", dash: "5 3"), "restored (after)")]
        if data == .retain {
            let bases = Set(verified.compactMap(\.retainPPLBase))
            if bases.count == 1, let base = bases.first {
                chart.referenceLines.append(.init(y: base, label: "base " + Figures.short(base), stroke: "#888888", dash: "1 3"))
                chart.legend.append(.init(.line(stroke: "#888888", dash: "1 3"), "base model"))
            } else if bases.count > 1 {
                chart.series.append(.init(name: "base model", points: verified.map { (x.of($0), $0.retainPPLBase) }, stroke: "#888888", dash: "1 3"))
                chart.legend.append(.init(.line(stroke: "#888888", dash: "1 3"), "base model"))
            }
        }
        for record in verified {
            let name = (record.path as NSString).lastPathComponent
            for (value, when, shape) in [(before(record), "before restoring", MarkerShape.circle), (after(record), "after restoring", .square)] {
                guard let value else { continue }
                var title = "\(name) · \(x.describe(record)) · \(data.rawValue) perplexity \(when) \(Figures.exact(value))"
                if data == .retain, let base = record.retainPPLBase { title += " (base \(Figures.exact(base)))" }
                chart.marks.append(.init(x: x.of(record), y: value, shape: shape, fill: "#222222", title: Figures.safe(title),
                                         role: "ppl-\(data.rawValue)-\(when == "before restoring" ? "before" : "after")"))
            }
        }
        return chart
    }
}
