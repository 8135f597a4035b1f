import Foundation
import History
import Testing
import TestSupport

/// `[metrics] textfile` as Prometheus meets it: through a real node_exporter, checked by
/// a real promtool, equal to the history.
@Suite(.serialized, .enabled(if: PrometheusTools.hasPromtool && PrometheusTools.hasNodeExporter,
                             "promtool and prometheus-node-exporter are not installed (scripts/setup.sh installs them)"))
struct MetricsEndToEndTests {
    func metricsConfig(_ textfile: String) -> String { "\n[metrics]\ntextfile = \"\(textfile)\"\n" }

    /// Waits until the textfile exists and `predicate` holds for its text.
    @discardableResult
    func waitForTextfile(_ path: String, timeout: Double = 30, until predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var text = ""
        while Date() < deadline {
            text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            if predicate(text) { return text }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Issue.record("the textfile never matched; last:\n\(text)")
        return text
    }

    func outcomes(_ text: String) -> Double {
        PrometheusTools.samples("retaind_outcomes_total", in: text).values.reduce(0, +)
    }

    @Test func textfileEqualsTheHistory_passesPromtool_andIsServedByNodeExporter() throws {
        let daemon = try DaemonHarness(name: "metrics")
        let collector = daemon.directory + "/textfile-collector"
        try FileManager.default.createDirectory(atPath: collector, withIntermediateDirectories: true)
        let textfile = collector + "/retaind.prom"
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0) + metricsConfig(textfile))
        try daemon.start()
        // Written at start, before any outcome: every status at zero.
        let first = try waitForTextfile(textfile) { $0.contains("retaind_outcomes_total") }
        #expect(PrometheusTools.samples("retaind_outcomes_total", in: first).count == 7)

        try CheckpointMaker.interpolated(0.1, into: daemon.staging + "/checkpoint-1")
        try daemon.moveIn("checkpoint-1")
        try CheckpointMaker.interpolated(1.2, into: daemon.staging + "/checkpoint-2")
        try daemon.moveIn("checkpoint-2")
        try CheckpointMaker.raw(CheckpointMaker.file(header: "{\"x\": 1}"), into: daemon.staging + "/checkpoint-3")
        try daemon.moveIn("checkpoint-3")
        let rows = try daemon.waitForOutcomes(3)
        let text = try waitForTextfile(textfile) { outcomes($0) == 3 }

        // Counters equal the history's statuses.
        let counted = PrometheusTools.samples("retaind_outcomes_total", in: text)
        for status in ["passed", "restored", "flagged", "unchanged", "rejected", "vanished", "error"] {
            let expected = Double(rows.filter { $0.status.rawValue == status }.count)
            #expect(counted[#"status="\#(status)",watch="runs""#] == expected, "\(status)")
        }
        // The run's gauges are its newest measured checkpoint's (checkpoint-2; 3 has no drift).
        let newest = try #require(rows.first { $0.path == daemon.runs + "/checkpoint-2" })
        let run = #"run="\#(daemon.runs)",watch="runs""#
        #expect(PrometheusTools.samples("retaind_drift_ratio", in: text) == [run: newest.drift!])
        #expect(PrometheusTools.samples("retaind_drift_max_ratio", in: text) == [run: newest.driftMax!])
        if newest.status == .restored {
            #expect(PrometheusTools.samples("retaind_drift_after_ratio", in: text) == [run: newest.driftAfter!])
        } else {
            #expect(PrometheusTools.samples("retaind_drift_after_ratio", in: text).isEmpty)
        }
        #expect(PrometheusTools.samples("retaind_threshold_ratio", in: text) == [#"watch="runs""#: 0.001])
        #expect(PrometheusTools.samples("retaind_pending_checkpoints", in: text) == [#"watch="runs""#: 0])
        let last = try #require(PrometheusTools.samples("retaind_last_outcome_timestamp_seconds", in: text)[#"watch="runs""#])
        let finished = rows.compactMap(\.finishedAt).max()!.timeIntervalSince1970
        #expect(abs(last - finished) < 0.002)
        #expect(PrometheusTools.samples("retaind_processing_seconds_count", in: text)[#"step="drift""#] == 3)
        #expect(PrometheusTools.samples("retaind_build_info", in: text).count == 1)

        let check = try PrometheusTools.promtool(["check", "metrics"], input: text)
        #expect(check.status == 0 && check.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(check.output)")

        // node_exporter serves the same families, and the file's mtime for liveness.
        let exporter = try PrometheusTools.NodeExporter(textfileDirectory: collector)
        let scraped = try exporter.scrape()
        #expect(PrometheusTools.samples("retaind_drift_ratio", in: scraped) == [run: newest.drift!])
        #expect(PrometheusTools.samples("retaind_outcomes_total", in: scraped) == counted)
        #expect(PrometheusTools.samples("node_textfile_scrape_error", in: scraped) == ["": 0])
        let mtime = PrometheusTools.samples("node_textfile_mtime_seconds", in: scraped)
        #expect(mtime.count == 1 && mtime.keys.first?.contains("retaind.prom") == true, "\(mtime)")

        // A restart: counters start again from zero, gauges come back from the history.
        #expect(try daemon.stop() == 0)
        try FileManager.default.removeItem(atPath: textfile)
        try daemon.start()
        let restarted = try waitForTextfile(textfile) { $0.contains("retaind_drift_ratio") }
        #expect(outcomes(restarted) == 0)
        #expect(PrometheusTools.samples("retaind_drift_ratio", in: restarted) == [run: newest.drift!])
        #expect(try daemon.stop() == 0)
    }

    /// A textfile that cannot be written: one journal error, the daemon goes on, and the
    /// file appears once its directory does.
    @Test func unwritableTextfileIsReportedOnce_andRecovers() throws {
        let daemon = try DaemonHarness(name: "metrics-missing")
        let collector = daemon.directory + "/not-yet"
        let textfile = collector + "/retaind.prom"
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0) + metricsConfig(textfile))
        try daemon.start()
        for i in 1...3 {
            try CheckpointMaker.interpolated(0.1 * Float(i), into: daemon.staging + "/checkpoint-\(i)")
            try daemon.moveIn("checkpoint-\(i)")
        }
        try daemon.waitForOutcomes(3)
        let failing = try Journal.wait(pid: daemon.pid) { entries in entries.contains { $0["RETAIND_METRICS"] == textfile } }
            .filter { $0["RETAIND_METRICS"] == textfile }
        Thread.sleep(forTimeInterval: 0.5)
        #expect(failing.count == 1, "\(failing)")
        #expect(failing.first?["PRIORITY"] == "3")
        #expect(failing.first?["MESSAGE_ID"] == "a9f6ed3750744e598f83df8bd73247ec")
        #expect(failing.first?["MESSAGE"]?.contains(collector) == true, "\(failing)")

        // The directory appears; the next write (a reload writes at once) succeeds.
        try FileManager.default.createDirectory(atPath: collector, withIntermediateDirectories: true)
        kill(daemon.pid, SIGHUP)
        let text = try waitForTextfile(textfile) { $0.contains("retaind_outcomes_total") }
        #expect(outcomes(text) == 3)
        try Journal.wait(pid: daemon.pid) { $0.contains { $0["MESSAGE"] == "metrics textfile written again" } }
        #expect(try daemon.stop() == 0)
    }

    @Test func shippedAlertingRulesCheck_andPassTheirUnitTests() throws {
        let config = PythonScript.repositoryRoot + "/config"
        let check = try PrometheusTools.promtool(["check", "rules", "retaind.rules.yml"], directory: config)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("SUCCESS: 6 rules found"), "\(check.output)")
        let test = try PrometheusTools.promtool(["test", "rules", "retaind.rules.test.yml"], directory: config)
        #expect(test.status == 0, "\(test.output)")
        #expect(test.output.contains("SUCCESS"), "\(test.output)")
    }
}
