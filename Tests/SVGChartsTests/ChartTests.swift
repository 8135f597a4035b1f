import Foundation
import Testing
@testable import SVGCharts

/// Elements escape what they hold; charts put their points where the scales say.
struct SVGElementTests {
    @Test func escapesMarkupAndControlCharacters() {
        let element = SVGElement("text", [("x", "1\"<")], text: "a<b>&c\u{1b}[31m")
        #expect(element.render() == "<text x=\"1&quot;&lt;\">a&lt;b&gt;&amp;c\\x1b[31m</text>")
    }

    @Test func numbers_areCompact() {
        #expect(SVGNumber.format(3) == "3")
        #expect(SVGNumber.format(12.345) == "12.35")
        #expect(SVGNumber.format(0.5) == ".5")
        #expect(SVGNumber.format(-0.25) == "-.25")
        #expect(SVGNumber.format(.nan) == "0")
    }

    @Test func polyline_breaksAtGaps() {
        #expect(PathData.polyline([(0, 0), (1, 2), nil, (3, 4), (5, 6)]).text == "M0,0 L1,2 M3,4 L5,6")
    }
}

struct LineChartTests {
    func chart() -> LineChart {
        var chart = LineChart(xLabel: "step", yLabel: "drift (unitless)", summary: "test")
        chart.series = [.init(name: "drift", points: [(100, 0.1), (200, 0.4), (300, nil), (400, 0.2)], stroke: "#000")]
        chart.marks = [.init(x: 200, y: 0.4, shape: .circle, fill: "#00f", title: "ckpt-200 <drift 0.4>", link: "#c2", role: "passed"),
                       .init(x: 300, y: nil, shape: .cross, fill: "#f0f", title: "rejected", role: "rejected")]
        chart.referenceLines = [.init(y: 0.3, label: "threshold 0.3", stroke: "#f00")]
        chart.legend = [.init(.marker(.circle, fill: "#00f"), "drift")]
        return chart
    }

    @Test func marks_sitWhereTheScalesPutTheirValues() throws {
        let chart = chart()
        let svg = chart.render().render()
        let x = chart.xScale(), y = chart.yScaleValue()
        #expect(svg.contains("<circle class=\"mark passed\" cx=\"\(SVGNumber.format(x.position(200)))\" cy=\"\(SVGNumber.format(y.position(0.4)))\""))
        #expect(svg.contains("<title>ckpt-200 &lt;drift 0.4&gt;</title>"))
        #expect(svg.contains("<a href=\"#c2\">"))
        // The rejected mark has no value: it sits below the plot area.
        #expect(svg.contains("class=\"mark rejected\""))
        // The line breaks where a value is missing.
        let d = try #require(svg.firstMatch(of: /class="series" d="([^"]*)"/)?.1)
        #expect(d.filter { $0 == "M" }.count == 2)
        #expect(svg.contains(">threshold 0.3</text>") && svg.contains(">drift (unitless)</text>") && svg.contains(">step</text>"))
    }

    @Test func yAxis_includesTheThresholdAndZero() {
        let y = chart().yScaleValue()
        #expect(y.domain.lowerBound == 0 && y.domain.upperBound >= 0.4)
    }

    @Test func logAxis_whenAskedFor() {
        var chart = chart()
        chart.yScale = .log
        #expect(chart.yScaleValue() is LogScale)
    }

    @Test func output_isWellFormedXML() throws {
        let data = Data(chart().render().render().utf8)
        #expect(XMLParserCheck.parses(data))
    }
}

struct HeatmapTests {
    @Test func cells_colouredByValue_titled_emptyCellsHatched() throws {
        let map = Heatmap(columns: ["0", "1"], rows: ["q", "k"], values: [[0, 1], [0.5, nil]],
                          titles: [["a", "b"], ["c", "none"]], domain: 0...1, xLabel: "layer (index)", yLabel: "module kind",
                          valueLabel: "ρ (unitless)", summary: "test")
        let svg = map.render().render()
        #expect(svg.contains("fill=\"#440154\"><title>a</title>"))
        #expect(svg.contains("fill=\"#fde725\"><title>b</title>"))
        #expect(svg.contains("fill=\"\(ColourScale.viridis.colour(0.5))\"><title>c</title>"))
        #expect(svg.contains("fill=\"url(#heatmap-none)\"><title>none</title>"))
        #expect(svg.contains(">layer (index)</text>") && svg.contains(">module kind</text>") && svg.contains(">ρ (unitless)</text>"))
        #expect(XMLParserCheck.parses(Data(svg.utf8)))
    }
}
