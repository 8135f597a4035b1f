import Foundation
import History
import Testing
import TestSupport

/// `retaind report` and `retaind show --html` read a real SQLite history back: the SVG's
/// points are the history's values, and the page renders in a real Chromium.
@Suite(.serialized) struct ReportCommandTests {
    static let state: Result<ReportHistory, any Error> = Result { try ReportHistory() }

    /// The report of the whole history, made in Kolkata's zone (+05:30, to see the offset written out).
    static let report: Result<(path: String, html: String), any Error> = Result {
        let history = try state.get()
        let path = history.directory + "/report.html"
        let result = try history.run(["report", "--out", path], environment: ["TZ": "Asia/Kolkata"])
        guard result.status == 0 else { throw Failure("report exited \(result.status): \(result.stderr)") }
        return (path, try String(contentsOfFile: path, encoding: .utf8))
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// The drift chart of each run (the first SVG of each run section), by run name.
    func driftCharts() throws -> [String: SVGNodes] {
        let html = try Self.report.get().html
        var charts: [String: SVGNodes] = [:]
        for section in html.components(separatedBy: "<section class=\"run\"").dropFirst() {
            let run = try #require(section.firstMatch(of: /<h2>[^<]*\/(exp-[ab])<\/h2>/)?.1)
            charts[String(run)] = try #require(try SVGNodes.all(in: section).first)
        }
        return charts
    }

    @Test func driftChart_pointsAreTheHistorysValues() throws {
        let history = try Self.state.get()
        let charts = try driftCharts()
        #expect(charts.count == 2)
        for (run, chart) in charts {
            let rows = history.records.filter { $0.path.contains("/\(run)/") }
            let x = try #require(chart.inverse("x-tick")), y = try #require(chart.inverse("y-tick"))
            func near(_ node: SVGNodes.Node, step: Int, value: Double?, _ what: String) {
                guard let centre = node.centre else { Issue.record("\(run) \(what): no position"); return }
                #expect(abs(x(centre.x) - Double(step)) < 0.5, "\(run) \(what): x \(x(centre.x)) is not step \(step)")
                if let value { #expect(abs(y(centre.y) - value) < 1e-3, "\(run) \(what) at \(step): y \(y(centre.y)) is not \(value)") }
            }
            for status in CheckpointStatus.allCases where status != .processing {
                let expected = rows.filter { $0.status == status }
                let marks = chart.marks(status.rawValue)
                #expect(marks.count == expected.count, "\(run): \(marks.count) \(status) marks for \(expected.count) rows")
                for (mark, row) in zip(marks, expected) {
                    let step = ReportHistory.step(row)
                    if status != .flagged { near(mark, step: step, value: row.drift, status.rawValue) }
                    let title = mark.title ?? ""
                    #expect(title.contains("checkpoint-\(step) · step \(step) · \(status.rawValue)"), "\(title)")
                    if let drift = row.drift { #expect(title.contains("drift \(String(format: "%.6g", drift))"), "\(title)") }
                }
            }
            let restored = rows.filter { $0.status == .restored }
            let afters = chart.marks("drift-after")
            #expect(afters.count == restored.count)
            for (mark, row) in zip(afters, restored) {
                near(mark, step: ReportHistory.step(row), value: row.driftAfter, "drift_after")
                #expect(mark.title?.contains("drift_after \(String(format: "%.6g", row.driftAfter!))") == true)
                #expect(mark.link == "#ckpt-\(row.id!)", "a restored mark links to its heatmaps")
            }
            let threshold = try #require(chart.nodes.first { $0.classes.contains("reference") })
            #expect(abs(y(Double(threshold.attributes["y1"]!)!) - 0.3) < 1e-3)
            #expect(chart.nodes.contains { $0.name == "text" && $0.text == "drift (RMS of ρ, unitless)" })
            #expect(chart.nodes.contains { $0.name == "text" && $0.text.hasPrefix("training step") })
        }
    }

    @Test func perplexityCharts_plotVerifiedValues() throws {
        let history = try Self.state.get()
        let html = try Self.report.get().html
        let section = try #require(html.components(separatedBy: "<section class=\"run\"").dropFirst().first)
        let svgs = try SVGNodes.all(in: section)
        #expect(svgs.count == 3, "drift, retain and forget perplexity")
        let retain = svgs[1]
        let y = try #require(retain.inverse("y-tick"))
        let verified = history.records.filter { $0.path.contains("/exp-a/") && $0.retainPPLBefore != nil }
        let before = retain.marks("ppl-retain-before"), after = retain.marks("ppl-retain-after")
        #expect(before.count == verified.count && after.count == verified.count)
        for (mark, row) in zip(before, verified) { #expect(abs(y(mark.centre!.y) - row.retainPPLBefore!) < 1e-2) }
        for (mark, row) in zip(after, verified) { #expect(abs(y(mark.centre!.y) - row.retainPPLAfter!) < 1e-2) }
        #expect(retain.nodes.contains { $0.name == "text" && $0.text == "base 12" })
    }

    @Test func heatmaps_holdEveryModulesRhoBeforeAndAfter() throws {
        let history = try Self.state.get()
        let html = try Self.report.get().html
        let restored = try #require(history.records.first { $0.status == .restored })
        let section = try #require(html.components(separatedBy: "id=\"ckpt-\(restored.id!)\"").dropFirst().first?
            .components(separatedBy: "</section>").first)
        let maps = try SVGNodes.all(in: section)
        #expect(maps.count == 2)
        let modules = try #require(history.modules[restored.id!])
        for (map, value) in zip(maps, [{ (m: ModuleRecord) in m.rho }, { (m: ModuleRecord) in m.rhoAfter! }]) {
            let cells = map.nodes.filter { $0.name == "rect" && $0.ancestors.last == "cells" }
            #expect(cells.count == 28)
            for module in modules {
                let cell = try #require(cells.first { $0.title?.hasPrefix(module.name + " · ") == true }, "no cell for \(module.name)")
                #expect(cell.title!.hasSuffix(" " + String(format: "%.6g", value(module))), "\(cell.title!)")
            }
            #expect(Set(cells.map { $0.attributes["fill"]! }).count > 10, "cells are coloured by value")
            #expect(map.nodes.contains { $0.text == "layer (index)" } && map.nodes.contains { $0.text == "module kind" })
        }
    }

    @Test func report_isSelfContained_datesCarryTheirOffset() throws {
        let history = try Self.state.get()
        let html = try Self.report.get().html
        for forbidden in ["<script", "<link", "src=", "@import", "<iframe", "<img"] { #expect(!html.contains(forbidden), "\(forbidden)") }
        #expect(html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "").range(of: "http") == nil, "nothing fetched")
        #expect(!html.contains("url(") || !html.contains(/url\((?!#)/), "only local fragment URLs")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Kolkata")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'+05:30'"
        #expect(html.contains(formatter.string(from: history.records[0].detectedAt)))
        #expect(html.contains("h before this report"))
        #expect(html.contains("header length 9999999999"))
    }

    @Test func filters_andErrors() throws {
        let history = try Self.state.get()
        let out = history.directory + "/b.html"
        let onlyB = try history.run(["report", "--run", "exp-b", "--out", out])
        #expect(onlyB.status == 0, "\(onlyB.stderr)")
        #expect(onlyB.stdout.contains("1 run, 3 checkpoints"))
        let html = try String(contentsOfFile: out, encoding: .utf8)
        #expect(html.components(separatedBy: "<section class=\"run\"").count == 2)
        let none = try history.run(["report", "--since", "2999-01-01", "--out", out])
        #expect(none.status == 0)
        #expect(try String(contentsOfFile: out, encoding: .utf8).contains("No outcomes match."))
        let missing = try history.run(["report", "--run", "exp-z", "--out", out])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no run exp-z"))
        let unwritable = try history.run(["report", "--out", history.directory + "/no/such/dir/r.html"])
        #expect(unwritable.status == 1)
        #expect(unwritable.stderr.contains("cannot write \(history.directory)/no/such/dir/r.html"), "\(unwritable.stderr)")
        let few = try history.run(["report", "--heatmaps", "1", "--out", out])
        #expect(few.stdout.contains("1 heatmaps"))
    }

    @Test func showHTML_writesTheCheckpointsHeatmaps() throws {
        let history = try Self.state.get()
        let restored = try #require(history.records.first { $0.status == .restored })
        let out = history.directory + "/show.html"
        let result = try history.run(["show", "--html", out, restored.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("drift_after"), "the table is still printed")
        let maps = try SVGNodes.all(in: try String(contentsOfFile: out, encoding: .utf8))
        #expect(maps.count == 2)
    }

    // MARK: Rendering in a real browser

    @Test(.enabled(if: Chromium.path != nil, "chromium is not installed: apt-get install chromium (scripts/setup.sh does)"))
    func report_rendersInChromium_withItsMarks() throws {
        let history = try Self.state.get()
        let (path, _) = try Self.report.get()
        let png = try Chromium.screenshot(path, width: 1200, height: 2000)
        let colours = try PNGColours.read(png, ["009e73", "e69f00", "cc79a7", "56b4e9", "0072b2"])
        func blobs(_ colour: String) -> Int { colours.blobs(colour, atLeast: 12) }
        let restored = history.records.filter { $0.status == .restored }.count
        // Each run's drift chart has a legend with one of each mark shown.
        #expect(blobs("009e73") == restored + 2, "drift_after diamonds: \(colours.raw)")
        #expect(blobs("e69f00") == 1 + 1, "flagged triangles: \(colours.raw)")
        #expect(blobs("cc79a7") == 1 + 1, "rejected crosses: \(colours.raw)")
        #expect(blobs("56b4e9") == 1 + 1, "unchanged squares: \(colours.raw)")
        #expect(colours.pixels("0072b2") > 400, "the drift lines and points are drawn: \(colours.raw)")
        #expect(colours.nonWhite > 100_000, "the plot areas are not blank")
    }

    @Test(.enabled(if: Chromium.path != nil, "chromium is not installed: apt-get install chromium (scripts/setup.sh does)"))
    func showHTML_rendersInChromium_withEveryCell() throws {
        let history = try Self.state.get()
        let restored = try #require(history.records.first { $0.status == .restored })
        let out = history.directory + "/show-render.html"
        #expect(try history.run(["show", "--html", out, restored.path]).status == 0)
        let fills = try SVGNodes.all(in: try String(contentsOfFile: out, encoding: .utf8))
            .flatMap { $0.nodes.filter { $0.name == "rect" && $0.ancestors.last == "cells" } }.map { $0.attributes["fill"]!.dropFirst() }
        let png = try Chromium.screenshot(out, width: 1000, height: 1000)
        let colours = try PNGColours.read(png, Array(Set(fills.map(String.init))))
        let cells = Set(fills).reduce(0) { $0 + colours.blobs(String($1), atLeast: 150) }
        #expect(cells == 56, "every heatmap cell is drawn in its colour (28 before, 28 after): \(colours.raw)")
    }
}

/// Headless Chromium, as Debian packages it.
enum Chromium {
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// A PNG of `html` in a `width`×`height` window.
    static func screenshot(_ html: String, width: Int, height: Int) throws -> String {
        let png = html + ".png"
        try? FileManager.default.removeItem(atPath: png)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path!)
        // As root Chromium refuses to start without --no-sandbox; no GPU in a container.
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
                             "--user-data-dir=" + html + ".profile", "--screenshot=" + png, "--window-size=\(width),\(height)", "file://" + html]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard FileManager.default.fileExists(atPath: png) else { throw ReportCommandTests.Failure("chromium wrote no screenshot (exit \(process.terminationStatus))") }
        return png
    }
}

/// Colours counted in a screenshot by `Support/png_colours.py` (python3 and zlib only).
struct PNGColours {
    let raw: String
    let nonWhite: Int
    private let colours: [String: (pixels: Int, blobs: [Int])]

    static func read(_ png: String, _ wanted: [String]) throws -> PNGColours {
        let script = PythonScript.repositoryRoot + "/Tests/retaindTests/Support/png_colours.py"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, png] + wanted
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let colours = object["colours"] as? [String: [String: Any]] else {
            throw ReportCommandTests.Failure("png_colours.py failed on \(png)")
        }
        return PNGColours(raw: String(decoding: data, as: UTF8.self), nonWhite: object["nonwhite"] as? Int ?? 0,
                          colours: colours.mapValues { ($0["pixels"] as? Int ?? 0, $0["blobs"] as? [Int] ?? []) })
    }

    func pixels(_ colour: String) -> Int { colours[colour]?.pixels ?? 0 }

    /// Blobs of `colour` of at least `size` pixels (smaller ones are anti-aliasing).
    func blobs(_ colour: String, atLeast size: Int) -> Int { colours[colour]?.blobs.filter { $0 >= size }.count ?? 0 }
}
