/// A chart of values against a numeric x (drift or perplexity against the training
/// step): axes with nice ticks and labelled units, lines, reference lines, marks with
/// tooltips, and a legend.
public struct LineChart: Sendable {
    /// A line through points; a nil y breaks it.
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double?)]
        public var stroke: String
        /// `stroke-dasharray`, nil for solid.
        public var dash: String?
        public var width: Double

        public init(name: String, points: [(x: Double, y: Double?)], stroke: String, dash: String? = nil, width: Double = 1.5) {
            self.name = name
            self.points = points
            self.stroke = stroke
            self.dash = dash
            self.width = width
        }
    }

    /// One point drawn as a shape, with its tooltip and an optional link.
    public struct Mark: Sendable {
        public var x: Double
        /// nil: no value (a rejected checkpoint) — drawn on the baseline below the plot.
        public var y: Double?
        public var shape: MarkerShape
        public var fill: String
        /// The hover text (`<title>`).
        public var title: String
        /// Where a click goes (`#anchor`), if anywhere.
        public var link: String?
        /// A class naming what the mark stands for (`restored`, `drift-after`, …).
        public var role: String

        public init(x: Double, y: Double?, shape: MarkerShape, fill: String, title: String, link: String? = nil, role: String) {
            self.x = x
            self.y = y
            self.shape = shape
            self.fill = fill
            self.title = title
            self.link = link
            self.role = role
        }
    }

    /// A thin line between two data points (a drift and its drift_after).
    public struct Connector: Sendable {
        public var x: Double, from: Double, to: Double

        public init(x: Double, from: Double, to: Double) {
            self.x = x
            self.from = from
            self.to = to
        }
    }

    /// A horizontal line across the plot at `y` (the threshold), labelled at its right end.
    public struct ReferenceLine: Sendable {
        public var y: Double
        public var label: String
        public var stroke: String
        public var dash: String?

        public init(y: Double, label: String, stroke: String, dash: String? = "6 4") {
            self.y = y
            self.label = label
            self.stroke = stroke
            self.dash = dash
        }
    }

    /// A legend entry: a marker shape or a line sample with its meaning.
    public struct LegendEntry: Sendable {
        public enum Sample: Sendable {
            case marker(MarkerShape, fill: String)
            case line(stroke: String, dash: String?)
        }

        public var sample: Sample
        public var label: String

        public init(_ sample: Sample, _ label: String) {
            self.sample = sample
            self.label = label
        }
    }

    public enum YScaleKind: Sendable { case linear, log }

    public var width: Double = 720
    public var height: Double = 300
    public var xLabel: String
    public var yLabel: String
    public var yScale: YScaleKind = .linear
    /// Whether the y axis starts at zero (linear scales only).
    public var yFromZero = true
    public var series: [Series] = []
    public var marks: [Mark] = []
    public var connectors: [Connector] = []
    public var referenceLines: [ReferenceLine] = []
    public var legend: [LegendEntry] = []
    /// Half the size of a mark in pixels; smaller keeps hundreds of points apart.
    public var markRadius: Double = 4.5
    /// The x interval to show instead of the data's own (charts stacked under each other share one).
    public var xDomain: ClosedRange<Double>?
    /// What the chart shows, for screen readers (`aria-label`).
    public var summary: String

    public init(xLabel: String, yLabel: String, summary: String) {
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.summary = summary
    }

    /// Pixels of the plot area inside the SVG: left, top, right, bottom.
    public var plotArea: (left: Double, top: Double, right: Double, bottom: Double) {
        (68, 12 + 22 * Double(legendLayout().rows), width - 96, height - 58)
    }

    /// The x scale the chart draws with.
    public func xScale() -> LinearScale {
        let xs = series.flatMap { $0.points.map(\.x) } + marks.map(\.x)
        let low = xDomain?.lowerBound ?? xs.min() ?? 0, high = xDomain?.upperBound ?? xs.max() ?? 1
        return LinearScale.nice(low...high, range: (plotArea.left + 8, plotArea.right - 8), ticks: 8)
    }

    /// The y scale the chart draws with.
    public func yScaleValue() -> any Scale {
        var ys = series.flatMap { $0.points.compactMap(\.y) } + marks.compactMap(\.y) + referenceLines.map(\.y)
        ys += connectors.flatMap { [$0.from, $0.to] }
        let range = (plotArea.bottom - 6, plotArea.top)
        switch yScale {
        case .log:
            let positive = ys.filter { $0 > 0 }
            return LogScale(domain: (positive.min() ?? 0.1)...(positive.max() ?? 1), range: range)
        case .linear:
            let low = yFromZero ? min(0, ys.min() ?? 0) : (ys.min() ?? 0), high = ys.max() ?? 1
            return LinearScale.nice(low...high, range: range, ticks: 5)
        }
    }

    /// The chart as an `<svg>` element.
    public func render() -> SVGElement {
        let n = SVGNumber.format
        let area = plotArea
        let x = xScale(), y = yScaleValue()
        var children: [SVGElement] = [
            SVGElement("rect", [("class", "plot-area"), ("x", n(area.left)), ("y", n(area.top)), ("width", n(area.right - area.left)),
                                ("height", n(area.bottom - area.top)), ("fill", "#fbfbf9"), ("stroke", "#c8c8c8")]),
        ]
        children.append(axes(x: x, y: y))
        // Reference lines under the data.
        for line in referenceLines {
            let py = y.position(line.y)
            var attributes = [("x1", n(area.left)), ("x2", n(area.right)), ("y1", n(py)), ("y2", n(py)), ("stroke", line.stroke), ("stroke-width", "1.5")]
            if let dash = line.dash { attributes.append(("stroke-dasharray", dash)) }
            children.append(SVGElement("line", attributes + [("class", "reference")], children: [.title(line.label)]))
            children.append(SVGElement("text", [("x", n(area.right + 4)), ("y", n(py + 4)), ("fill", line.stroke)], text: line.label))
        }
        for connector in connectors {
            let px = x.position(connector.x)
            children.append(SVGElement("line", [("x1", n(px)), ("x2", n(px)), ("y1", n(y.position(connector.from))), ("y2", n(y.position(connector.to))),
                                                ("stroke", "#777777"), ("stroke-dasharray", "2 2")]))
        }
        for series in series {
            let path = PathData.polyline(series.points.map { point in point.y.map { (x.position(point.x), y.position($0)) } })
            var attributes = [("class", "series"), ("d", path.text), ("fill", "none"), ("stroke", series.stroke), ("stroke-width", n(series.width))]
            if let dash = series.dash { attributes.append(("stroke-dasharray", dash)) }
            children.append(SVGElement("path", attributes, children: [.title(series.name)]))
        }
        let baseline = area.bottom + 14
        for mark in marks {
            var shape = mark.shape.element(x: x.position(mark.x), y: mark.y.map(y.position) ?? baseline, r: markRadius, fill: mark.fill, stroke: "#ffffff")
            shape.attributes.insert(("class", "mark " + mark.role), at: 0)
            shape.children = [.title(mark.title)]
            if let link = mark.link {
                children.append(SVGElement("a", [("href", link)], children: [shape]))
            } else {
                children.append(shape)
            }
        }
        if !legend.isEmpty { children.append(legendElement()) }
        return SVGElement("svg", [("xmlns", "http://www.w3.org/2000/svg"), ("viewBox", "0 0 \(n(width)) \(n(height))"),
                                  ("width", n(width)), ("height", n(height)), ("role", "img"), ("aria-label", summary),
                                  ("font-family", "sans-serif"), ("font-size", "11")], children: children)
    }

    private func axes(x: LinearScale, y: any Scale) -> SVGElement {
        let n = SVGNumber.format
        let area = plotArea
        var children: [SVGElement] = []
        let xTicks = x.ticks(8)
        let xStep = xTicks.count > 1 ? xTicks[1] - xTicks[0] : nil
        for tick in xTicks {
            let px = x.position(tick)
            children.append(SVGElement("line", [("x1", n(px)), ("x2", n(px)), ("y1", n(area.bottom)), ("y2", n(area.bottom + 4)), ("stroke", "#444444")]))
            children.append(SVGElement("text", [("class", "x-tick"), ("x", n(px)), ("y", n(area.bottom + 28)), ("text-anchor", "middle")],
                                       text: NiceNumbers.label(tick, step: xStep)))
        }
        let yTicks = y.ticks(5)
        let yStep = yTicks.count > 1 && !(y is LogScale) ? yTicks[1] - yTicks[0] : nil
        for tick in yTicks {
            let py = y.position(tick)
            children.append(SVGElement("line", [("x1", n(area.left)), ("x2", n(area.right)), ("y1", n(py)), ("y2", n(py)), ("stroke", "#e4e4e4")]))
            children.append(SVGElement("text", [("class", "y-tick"), ("x", n(area.left - 6)), ("y", n(py + 4)), ("text-anchor", "end")],
                                       text: NiceNumbers.label(tick, step: yStep)))
        }
        children.append(SVGElement("text", [("x", n((area.left + area.right) / 2)), ("y", n(height - 6)), ("text-anchor", "middle"), ("font-size", "12")],
                                   text: xLabel))
        let cy = (area.top + area.bottom) / 2
        children.append(SVGElement("text", [("transform", "translate(14 \(n(cy))) rotate(-90)"), ("text-anchor", "middle"), ("font-size", "12")],
                                   text: yLabel))
        return .group([("class", "axes"), ("fill", "#222222")], children)
    }

    /// Where each legend entry goes (left edge, baseline row), wrapping at the plot's right edge.
    private func legendLayout() -> (positions: [(x: Double, row: Int)], rows: Int) {
        var positions: [(x: Double, row: Int)] = []
        var cursor = 68.0, row = 0
        for entry in legend {
            // About 6 px per character at 11 px sans-serif, plus the sample.
            let width = 30 + Double(entry.label.count) * 6
            if cursor + width > self.width - 20, cursor > 68 { cursor = 68; row += 1 }
            positions.append((cursor, row))
            cursor += width
        }
        return (positions, legend.isEmpty ? 0 : row + 1)
    }

    private func legendElement() -> SVGElement {
        let n = SVGNumber.format
        var children: [SVGElement] = []
        for (entry, position) in zip(legend, legendLayout().positions) {
            let cursor = position.x, y = 14 + 22 * Double(position.row)
            switch entry.sample {
            case .marker(let shape, let fill):
                children.append(shape.element(x: cursor + 6, y: y, r: 4.5, fill: fill, stroke: "#ffffff"))
            case .line(let stroke, let dash):
                var attributes = [("x1", n(cursor)), ("x2", n(cursor + 14)), ("y1", n(y)), ("y2", n(y)), ("stroke", stroke), ("stroke-width", "2")]
                if let dash { attributes.append(("stroke-dasharray", dash)) }
                children.append(SVGElement("line", attributes))
            }
            children.append(SVGElement("text", [("x", n(cursor + 18)), ("y", n(y + 4))], text: entry.label))
        }
        return .group([("class", "legend"), ("fill", "#222222")], children)
    }
}
