import Foundation
import Prometheus

/// The daemon's Prometheus families, rendered in the text exposition format that
/// node_exporter's textfile collector reads.
///
/// Counters and histograms count this process's events and start from zero when the
/// daemon starts (Prometheus's `rate()` and `increase()` treat that as a counter reset).
/// Every `watch` × `status` series exists from the start, at zero, so the first outcome
/// of a kind is an increase an alert can see. Gauges are rebuilt on each rendering from
/// ``DaemonFigures``, so a run purged from the history drops out of them.
public final class MetricsRegistry: Sendable {
    private let events = PrometheusCollectorRegistry()
    private let version: String
    private let statuses: [String]

    /// Upper bounds of `retaind_processing_seconds`: a small model's drift pass takes
    /// about a second, a 7B restore with verification tens of minutes.
    public static let secondsBuckets: [Double] = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]

    /// A registry for retaind `version`, whose outcomes take one of `statuses`.
    public init(version: String, statuses: [String]) {
        self.version = version
        self.statuses = statuses
        for step in ProcessingStep.allCases { _ = histogram(step) }
    }

    /// Creates the zero series of `watches` (call on start and reload; series of a
    /// removed watch stay until restart, as counters should).
    public func register(watches: [String]) {
        for watch in watches {
            for status in statuses { _ = counter(watch: watch, status: status) }
        }
    }

    /// Counts one recorded outcome.
    public func countOutcome(watch: String, status: String) {
        counter(watch: watch, status: status).increment()
    }

    /// Records how long one step of processing took.
    public func observe(_ step: ProcessingStep, seconds: Double) {
        histogram(step).record(seconds)
    }

    /// The whole exposition: the event families, then `figures` as gauges.
    public func exposition(_ figures: DaemonFigures) -> String {
        let gauges = PrometheusCollectorRegistry()
        func set(_ family: MetricNameDescriptor, _ labels: [(String, String)] = [], _ value: Double) {
            gauges.makeGauge(descriptor: family, labels: labels).set(to: value)
        }
        set(Families.buildInfo, [("version", version)], 1)
        for watch in figures.watches {
            let labels = [("watch", watch.name)]
            set(Families.threshold, labels, watch.threshold)
            set(Families.pending, labels, Double(watch.pending))
            if let last = watch.lastOutcome { set(Families.lastOutcome, labels, last.timeIntervalSince1970) }
        }
        set(Families.queue, [], Double(figures.queueLength))
        if let backlog = figures.centralBacklog { set(Families.centralBacklog, [], Double(backlog)) }
        for run in figures.runs {
            let labels = [("watch", run.watch), ("run", run.run)]
            set(Families.drift, labels, run.drift)
            set(Families.driftMax, labels, run.driftMax)
            if let after = run.driftAfter { set(Families.driftAfter, labels, after) }
            if let ratio = run.retainPerplexityRatio { set(Families.retainPerplexity, labels, ratio) }
        }
        return events.emitToString() + gauges.emitToString()
    }

    private func counter(watch: String, status: String) -> Counter {
        events.makeCounter(descriptor: Families.outcomes, labels: [("watch", watch), ("status", status)])
    }

    private func histogram(_ step: ProcessingStep) -> ValueHistogram {
        events.makeValueHistogram(descriptor: Families.processingSeconds, labels: [("step", step.rawValue)], buckets: Self.secondsBuckets)
    }
}
