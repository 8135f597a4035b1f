/// A grid of coloured cells (rho by layer × module kind) with labelled axes, a tooltip
/// per cell and a colour bar.
public struct Heatmap: Sendable {
    /// Column labels (x axis, left to right) and row labels (y axis, top to bottom).
    public var columns: [String]
    public var rows: [String]
    /// `values[row][column]`; nil is an empty cell (no such module).
    public var values: [[Double?]]
    /// `titles[row][column]`: the hover text of each cell.
    public var titles: [[String]]
    /// The values mapped to the colour scale's ends.
    public var domain: ClosedRange<Double>
    public var colours = ColourScale.viridis
    public var xLabel: String
    public var yLabel: String
    /// The colour bar's label (the quantity and its unit).
    public var valueLabel: String
    public var cellWidth: Double = 20
    public var cellHeight: Double = 18
    public var summary: String

    public init(columns: [String], rows: [String], values: [[Double?]], titles: [[String]], domain: ClosedRange<Double>,
                xLabel: String, yLabel: String, valueLabel: String, summary: String) {
        self.columns = columns
        self.rows = rows
        self.values = values
        self.titles = titles
        self.domain = domain
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.valueLabel = valueLabel
        self.summary = summary
    }

    private var left: Double { 64 }
    private var top: Double { 8 }
    private var gridWidth: Double { Double(columns.count) * cellWidth }
    private var gridHeight: Double { Double(rows.count) * cellHeight }
    /// The whole SVG's size.
    public var width: Double { left + gridWidth + 110 }
    public var height: Double { top + gridHeight + 48 }

    /// Where `value` falls on the colour scale, 0…1.
    public func fraction(_ value: Double) -> Double {
        domain.upperBound > domain.lowerBound ? (value - domain.lowerBound) / (domain.upperBound - domain.lowerBound) : 0
    }

    /// The heatmap as an `<svg>` element.
    public func render() -> SVGElement {
        let n = SVGNumber.format
        var cells: [SVGElement] = []
        cells.reserveCapacity(rows.count * columns.count)
        for (r, row) in values.enumerated() {
            for (c, value) in row.enumerated() {
                let x = left + Double(c) * cellWidth, y = top + Double(r) * cellHeight
                let fill = value.map { colours.colour(fraction($0)) } ?? "url(#heatmap-none)"
                cells.append(SVGElement("rect", [("x", n(x)), ("y", n(y)), ("width", n(cellWidth)), ("height", n(cellHeight)), ("fill", fill)],
                                        children: [.title(titles[r][c])]))
            }
        }
        var children: [SVGElement] = [
            // Hatching for cells without a value, so they never pass for a low value.
            SVGElement("defs", children: [
                SVGElement("pattern", [("id", "heatmap-none"), ("width", "4"), ("height", "4"), ("patternUnits", "userSpaceOnUse")], children: [
                    SVGElement("rect", [("width", "4"), ("height", "4"), ("fill", "#ffffff")]),
                    SVGElement("path", [("d", "M0,4 L4,0"), ("stroke", "#bbbbbb")]),
                ]),
            ]),
            .group([("class", "cells"), ("stroke", "#ffffff"), ("stroke-width", "0.5")], cells),
        ]
        var labels: [SVGElement] = []
        let every = cellWidth >= 16 ? 1 : Int((16 / cellWidth).rounded(.up))
        for (c, label) in columns.enumerated() where c % every == 0 {
            labels.append(SVGElement("text", [("x", n(left + (Double(c) + 0.5) * cellWidth)), ("y", n(top + gridHeight + 14)), ("text-anchor", "middle")],
                                     text: label))
        }
        for (r, label) in rows.enumerated() {
            labels.append(SVGElement("text", [("x", n(left - 6)), ("y", n(top + (Double(r) + 0.5) * cellHeight + 4)), ("text-anchor", "end")], text: label))
        }
        labels.append(SVGElement("text", [("x", n(left + gridWidth / 2)), ("y", n(top + gridHeight + 34)), ("text-anchor", "middle"), ("font-size", "12")],
                                 text: xLabel))
        labels.append(SVGElement("text", [("transform", "translate(14 \(n(top + gridHeight / 2))) rotate(-90)"), ("text-anchor", "middle"),
                                          ("font-size", "12")], text: yLabel))
        children.append(.group([("class", "axes"), ("fill", "#222222")], labels))
        children.append(colourBar())
        return SVGElement("svg", [("xmlns", "http://www.w3.org/2000/svg"), ("viewBox", "0 0 \(n(width)) \(n(height))"),
                                  ("width", n(width)), ("height", n(height)), ("role", "img"), ("aria-label", summary),
                                  ("font-family", "sans-serif"), ("font-size", "11")], children: children)
    }

    /// A vertical bar of the colour scale beside the grid, high values at the top, with nice ticks.
    private func colourBar() -> SVGElement {
        let n = SVGNumber.format
        let x = left + gridWidth + 14, barWidth = 12.0
        let height = max(gridHeight, 60)
        let steps = 32
        var children: [SVGElement] = []
        for i in 0..<steps {
            let t = (Double(i) + 0.5) / Double(steps)
            let y = top + height * (1 - Double(i + 1) / Double(steps))
            children.append(SVGElement("rect", [("x", n(x)), ("y", n(y)), ("width", n(barWidth)), ("height", n(height / Double(steps) + 0.5)),
                                                ("fill", colours.colour(t))]))
        }
        let scale = LinearScale(domain: domain, range: (top + height, top))
        let ticks = scale.ticks(4)
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : nil
        for tick in ticks {
            let y = scale.position(tick)
            children.append(SVGElement("line", [("x1", n(x + barWidth)), ("x2", n(x + barWidth + 3)), ("y1", n(y)), ("y2", n(y)), ("stroke", "#444444")]))
            children.append(SVGElement("text", [("x", n(x + barWidth + 5)), ("y", n(y + 4)), ("fill", "#222222")], text: NiceNumbers.label(tick, step: step)))
        }
        children.append(SVGElement("text", [("transform", "translate(\(n(x + barWidth + 44)) \(n(top + height / 2))) rotate(-90)"),
                                            ("text-anchor", "middle"), ("fill", "#222222")], text: valueLabel))
        return .group([("class", "colour-bar")], children)
    }
}
