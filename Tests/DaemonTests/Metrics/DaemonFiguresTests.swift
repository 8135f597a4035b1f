@testable import Daemon
import Foundation
import History
import RetaindMetrics
import Testing

/// The gauges' figures, read from history rows as `retaind runs` orders them.
struct DaemonFiguresTests {
    func record(_ id: Int64, _ path: String, _ status: CheckpointStatus, drift: Double?, step detected: Double,
                watch: String = "npo") -> CheckpointRecord {
        var record = CheckpointRecord(path: path, watch: watch, signature: "s", detectedAt: Date(timeIntervalSince1970: detected))
        record.id = id
        record.status = status
        record.drift = drift
        record.driftMax = drift.map { $0 * 3 }
        record.finishedAt = Date(timeIntervalSince1970: detected + 5)
        return record
    }

    func watch(_ name: String, threshold: Double) throws -> Configuration.Watch {
        let text = ConfigurationTests.minimal.replacingOccurrences(of: "name = \"runs\"", with: "name = \"\(name)\"")
            .replacingOccurrences(of: "threshold = 0.0015", with: "threshold = \(threshold)")
        return try #require(try Configuration.parse(text, path: "/etc/retaind/retaind.toml").watches.first)
    }

    @Test func newestMeasuredCheckpointByStep_isEachRunsFigure() throws {
        var restored = record(3, "/r/a/checkpoint-20", .restored, drift: 0.3, step: 30)
        restored.driftAfter = 0.01
        restored.retainPPLBase = 10
        restored.retainPPLBefore = 14
        restored.retainPPLAfter = 10.5
        let records = [
            record(1, "/r/a/checkpoint-100", .rejected, drift: nil, step: 50),  // newest, but not measured
            record(2, "/r/a/checkpoint-9", .passed, drift: 0.02, step: 40),     // detected later, lower step
            restored,
            record(4, "/r/b/checkpoint-5", .error, drift: 0.5, step: 10),
            record(5, "/r/b/checkpoint-5", .passed, drift: 0.04, step: 60),     // its retry: the latest row counts
        ]
        let pending = [PendingRecord(path: "/r/a/checkpoint-200", watch: "npo", reason: "settling", firstSeen: .now, updatedAt: .now)]
        let figures = DaemonFigures.current(records: records, pending: pending, watches: [try watch("npo", threshold: 0.05)],
                                            queueLength: 2)
        #expect(figures.runs == [
            .init(watch: "npo", run: "/r/a", drift: 0.3, driftMax: 0.3 * 3, driftAfter: 0.01, retainPerplexityRatio: 1.05),
            .init(watch: "npo", run: "/r/b", drift: 0.04, driftMax: 0.04 * 3),
        ])
        #expect(figures.watches == [.init(name: "npo", threshold: 0.05, pending: 1, lastOutcome: Date(timeIntervalSince1970: 65))])
        #expect(figures.queueLength == 2)
    }

    @Test func aWatchWithoutOutcomes_hasNoLastOutcome() throws {
        let figures = DaemonFigures.current(records: [], pending: [], watches: [try watch("quiet", threshold: 0.1)], queueLength: 0)
        #expect(figures.watches == [.init(name: "quiet", threshold: 0.1, pending: 0, lastOutcome: nil)])
        #expect(figures.runs.isEmpty)
    }
}

