import Foundation
import History
import Testing
@testable import Report

/// The report holds untrusted names safely and chooses which checkpoints get heatmaps.
struct DriftReportTests {
    @Test func names_areEscapedForMarkupAndControlCharacters() {
        var bad = record(1, "/r/a/<script>alert(1)</script>\n\u{1b}[31m-100", .rejected, drift: nil, at: 10)
        bad.error = "header of \"<b>\" broken\n"
        let report = DriftReport(records: [bad, record(2, "/r/a/checkpoint-200", .passed, drift: 0.1, at: 20)],
                                 dates: ReportDates(generatedAt: Date(timeIntervalSince1970: 100)), scope: "all", source: "/h.sqlite",
                                 heatmapLimit: 10)
        let html = report.html(modules: [:])
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;"))
        #expect(!html.contains("\u{1b}") && html.contains("\\x1b[31m"))
        #expect(!html.contains("broken\n"))
    }

    @Test func heatmaps_overThresholdFirst_thenNewest_upToTheLimit() {
        let records = [record(1, "/r/a/checkpoint-1", .passed, drift: 0.1, at: 10), record(2, "/r/a/checkpoint-2", .restored, drift: 0.5, at: 20),
                       record(3, "/r/a/checkpoint-3", .passed, drift: 0.2, at: 30), record(4, "/r/a/checkpoint-4", .rejected, drift: nil, at: 40),
                       record(5, "/r/a/checkpoint-5", .flagged, drift: 0.4, at: 50)]
        func detailed(_ limit: Int) -> [Int64] {
            DriftReport(records: records, dates: ReportDates(generatedAt: Date()), scope: "", source: "", heatmapLimit: limit).detailed
        }
        #expect(detailed(10) == [5, 2, 3, 1])
        #expect(detailed(3) == [5, 2, 3])
        #expect(detailed(0) == [])
    }
}
