import Foundation
import History
import Testing
@testable import Report

/// Runs group checkpoints by directory, in step order, keeping each one's latest outcome.
struct RunHistoryTests {
    @Test func runs_byDirectory_inStepOrder_latestOutcomeWins() {
        let runs = RunHistory.runs([
            record(1, "/r/a/checkpoint-1000", .passed, drift: 0.1, at: 10),
            record(2, "/r/a/checkpoint-200", .passed, drift: 0.05, at: 20),
            record(3, "/r/a/checkpoint-1000", .restored, drift: 0.5, at: 30),
            record(4, "/r/b/checkpoint-5", .rejected, drift: nil, at: 5),
            record(5, "/r/b/checkpoint-6", .processing, drift: nil, at: 6),
        ])
        #expect(runs.map(\.run) == ["/r/a", "/r/b"])
        #expect(runs[0].checkpoints.map(\.id) == [2, 3])
        #expect(runs[1].checkpoints.map(\.id) == [4])
        #expect(runs[0].isNamed("a") && runs[0].isNamed("/r/a") && !runs[0].isNamed("b"))
    }

    @Test func driftChart_marksEveryOutcome_andRestoredTwice() {
        var restored = record(3, "/r/a/checkpoint-300", .restored, drift: 0.5, at: 30)
        restored.driftAfter = 0.1
        let run = RunHistory.runs([record(1, "/r/a/checkpoint-100", .passed, drift: 0.1, at: 10), restored,
                                   record(4, "/r/a/checkpoint-400", .rejected, drift: nil, at: 40)])[0]
        let chart = DriftChart.chart(run, dates: ReportDates(generatedAt: Date(timeIntervalSince1970: 100)))
        #expect(chart.marks.map(\.role) == ["passed", "restored", "drift-after", "rejected"])
        #expect(chart.marks.map(\.x) == [100, 300, 300, 400])
        #expect(chart.marks[2].y == 0.1 && chart.marks[3].y == nil)
        #expect(chart.referenceLines.map(\.y) == [0.3])
        #expect(chart.connectors.count == 1)
    }
}

/// Dates are ISO 8601 with the offset written out, and an age relative to the report.
struct ReportDatesTests {
    @Test func iso_writesTheOffset_relative_countsBack() {
        let made = Date(timeIntervalSince1970: 1_800_000_000)
        let utc = ReportDates(generatedAt: made, timeZone: TimeZone(identifier: "UTC")!)
        #expect(utc.iso(made) == "2027-01-15T08:00:00+00:00")
        let berlin = ReportDates(generatedAt: made, timeZone: TimeZone(identifier: "Europe/Berlin")!)
        #expect(berlin.iso(made) == "2027-01-15T09:00:00+01:00")
        #expect(utc.relative(made.addingTimeInterval(-3 * 3600 - 5)) == "3 h before this report")
        #expect(utc.relative(made.addingTimeInterval(-20)) == "just before this report")
        #expect(utc.relative(made.addingTimeInterval(-5 * 86_400)) == "5 d before this report")
    }
}
