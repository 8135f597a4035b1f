import History
import SVGCharts

/// A checkpoint's ρ by layer × module kind, and the same after restoring, on one colour
/// scale so the two read against each other.
public enum RhoHeatmaps {
    /// The heatmap of ρ, then of ρ after restoring when the checkpoint was restored; empty
    /// without layered modules.
    public static func heatmaps(_ grid: ModuleGrid) -> [Heatmap] {
        guard !grid.layers.isEmpty else { return [] }
        let all = grid.cells.flatMap { $0 }.compactMap { $0 }
        let restored = all.contains { $0.rhoAfter != nil }
        let high = max((all.map(\.rho) + all.compactMap(\.rhoAfter)).max() ?? 0, 1e-12)
        let domain = 0...NiceNumbers.step(for: 0...high, count: 4) * (high / NiceNumbers.step(for: 0...high, count: 4)).rounded(.up)
        func heatmap(_ label: String, _ value: (ModuleRecord) -> Double?) -> Heatmap {
            let values = grid.cells.map { row in row.map { $0.flatMap(value) } }
            let titles = grid.cells.enumerated().map { k, row in
                row.enumerated().map { l, module -> String in
                    guard let module else { return "layer \(grid.layers[l]) · \(grid.kinds[k]): no module" }
                    let shown = value(module).map(Figures.exact) ?? "–"
                    // The name says the layer and kind already.
                    return Figures.safe("\(module.name) · \(label) \(shown)")
                }
            }
            var map = Heatmap(columns: grid.layers.map(String.init), rows: grid.kinds, values: values, titles: titles, domain: domain,
                              xLabel: "layer (index)", yLabel: "module kind", valueLabel: "\(label) (unitless)",
                              summary: "\(label) by layer and module kind" + (label == "ρ" ? "" : ", on the same colour scale as ρ"))
            map.cellWidth = grid.layers.count > 40 ? 12 : 20
            return map
        }
        return [heatmap("ρ", { $0.rho })] + (restored ? [heatmap("ρ after restoring", { $0.rhoAfter })] : [])
    }
}
