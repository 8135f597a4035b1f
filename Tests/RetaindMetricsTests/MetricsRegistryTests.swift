import Foundation
@testable import RetaindMetrics
import Testing
import TestSupport

@Suite("Metrics registry: the exposition node_exporter reads")
struct MetricsRegistryTests {
    let statuses = ["passed", "restored", "flagged", "unchanged", "rejected", "vanished", "error"]

    func figures() -> DaemonFigures {
        DaemonFigures(
            runs: [
                .init(watch: "npo", run: "/runs/a", drift: 0.12, driftMax: 0.4, driftAfter: 0.03, retainPerplexityRatio: 1.021),
                .init(watch: "npo", run: "/runs/b \"quoted\"\nnew line", drift: 0.01, driftMax: 0.02),
            ],
            watches: [.init(name: "npo", threshold: 0.05, pending: 2, lastOutcome: Date(timeIntervalSince1970: 1_800_000_000))],
            queueLength: 1)
    }

    @Test("every watch × status series exists at zero before the first outcome")
    func zeroSeries() {
        let registry = MetricsRegistry(version: "9.9.9", statuses: statuses)
        registry.register(watches: ["npo", "ga"])
        let outcomes = PrometheusTools.samples("retaind_outcomes_total", in: registry.exposition(DaemonFigures()))
        #expect(outcomes.count == 14)
        #expect(outcomes.values.allSatisfy { $0 == 0 })
        #expect(outcomes[#"status="rejected",watch="ga""#] == 0)
    }

    @Test("outcomes and step seconds are counted")
    func counting() {
        let registry = MetricsRegistry(version: "9.9.9", statuses: statuses)
        registry.register(watches: ["npo"])
        registry.countOutcome(watch: "npo", status: "restored")
        registry.countOutcome(watch: "npo", status: "restored")
        registry.countOutcome(watch: "npo", status: "rejected")
        registry.observe(.drift, seconds: 3.2)
        registry.observe(.drift, seconds: 40)
        let text = registry.exposition(DaemonFigures())
        let outcomes = PrometheusTools.samples("retaind_outcomes_total", in: text)
        #expect(outcomes[#"status="restored",watch="npo""#] == 2)
        #expect(outcomes[#"status="rejected",watch="npo""#] == 1)
        #expect(outcomes[#"status="passed",watch="npo""#] == 0)
        #expect(PrometheusTools.samples("retaind_processing_seconds_count", in: text)[#"step="drift""#] == 2)
        #expect(PrometheusTools.samples("retaind_processing_seconds_sum", in: text)[#"step="drift""#] == 43.2)
        let buckets = PrometheusTools.samples("retaind_processing_seconds_bucket", in: text)
        #expect(buckets[#"le="5.0",step="drift""#] == 1)
        #expect(buckets[#"le="60.0",step="drift""#] == 2)
        #expect(buckets[#"le="+Inf",step="restore""#] == 0)
    }

    @Test("gauges show the figures; label values are escaped")
    func gauges() {
        let text = MetricsRegistry(version: "9.9.9", statuses: statuses).exposition(figures())
        #expect(PrometheusTools.samples("retaind_build_info", in: text) == [#"version="9.9.9""#: 1])
        #expect(PrometheusTools.samples("retaind_drift_ratio", in: text)[#"run="/runs/a",watch="npo""#] == 0.12)
        #expect(PrometheusTools.samples("retaind_drift_ratio", in: text)[#"run="/runs/b \"quoted\"\nnew line",watch="npo""#] == 0.01)
        #expect(PrometheusTools.samples("retaind_drift_max_ratio", in: text)[#"run="/runs/a",watch="npo""#] == 0.4)
        // Only the restored run has a drift after, only the verified one a perplexity ratio.
        #expect(PrometheusTools.samples("retaind_drift_after_ratio", in: text) == [#"run="/runs/a",watch="npo""#: 0.03])
        #expect(PrometheusTools.samples("retaind_retain_perplexity_ratio", in: text) == [#"run="/runs/a",watch="npo""#: 1.021])
        #expect(PrometheusTools.samples("retaind_threshold_ratio", in: text) == [#"watch="npo""#: 0.05])
        #expect(PrometheusTools.samples("retaind_pending_checkpoints", in: text) == [#"watch="npo""#: 2])
        #expect(PrometheusTools.samples("retaind_queue_length", in: text) == ["": 1])
        #expect(PrometheusTools.samples("retaind_last_outcome_timestamp_seconds", in: text) == [#"watch="npo""#: 1.8e9])
    }

    @Test("promtool check metrics accepts the exposition", .enabled(if: PrometheusTools.hasPromtool, "promtool is not installed"))
    func promtoolAccepts() throws {
        let registry = MetricsRegistry(version: "9.9.9", statuses: statuses)
        registry.register(watches: ["npo"])
        registry.countOutcome(watch: "npo", status: "passed")
        registry.observe(.restore, seconds: 12)
        let result = try PrometheusTools.promtool(["check", "metrics"], input: registry.exposition(figures()))
        #expect(result.status == 0, "\(result.output)")
        // Lint findings are printed even with status 0; there must be none.
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(result.output)")
    }
}
