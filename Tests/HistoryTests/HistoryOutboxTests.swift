import Foundation
import GRDB
@testable import History
import Testing

/// The outbox the central history is fed from: every finished outcome, in order, kept
/// until delivered.
struct HistoryOutboxTests {
    let directory = NSTemporaryDirectory() + "retaind-outbox-" + UUID().uuidString
    var path: String { directory + "/history.sqlite" }

    func outcome(_ store: HistoryStore, _ path: String, _ status: CheckpointStatus = .passed, detected: Date = Date(),
                 modules: Int = 2, retryAt: Date? = nil) throws -> CheckpointRecord {
        var record = try store.begin(CheckpointRecord(path: path, watch: "w", signature: "s", detectedAt: detected))
        record.status = status
        record.fingerprint = status == .error ? nil : "f-\(path)"
        record.drift = 0.001
        record.finishedAt = Date()
        record.retryAt = retryAt
        let id = record.id!
        try store.finish(record, modules: (0..<modules).map {
            ModuleRecord(checkpointID: id, name: "m\($0)", site: "s", rho: Double($0), beta: 0, energy: 1, referenceEnergy: 2, energyUpper: 3)
        })
        return record
    }

    @Test func finishedOutcomes_waitInOrder_withTheirModules_untilDelivered() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try HistoryStore(path: path)
        _ = try store.begin(CheckpointRecord(path: "/r/in-progress", watch: "w", signature: "s", detectedAt: Date()))
        let a = try outcome(store, "/r/checkpoint-1")
        let b = try outcome(store, "/r/checkpoint-2", .rejected, modules: 0)
        let c = try outcome(store, "/r/checkpoint-3")
        #expect(try store.backlog() == 3, "a claim in progress is not an outcome")
        let entries = try store.undelivered(limit: 10)
        #expect(entries.map(\.record.id) == [a.id, b.id, c.id])
        #expect(entries.map(\.modules.count) == [2, 0, 2])
        #expect(entries[0].record.path == a.path && entries[0].record.fingerprint == a.fingerprint && entries[0].record.status == .passed)
        #expect(try store.undelivered(limit: 2).map(\.record.id) == [a.id, b.id])

        try store.markDelivered([entries[0].sequence, entries[1].sequence])
        #expect(try store.undelivered(limit: 10).map(\.record.id) == [c.id])
        #expect(try store.backlog() == 1)
        // Delivered outcomes stay in the local history.
        #expect(try store.records().count == 4)
    }

    @Test func purge_keepsUndeliveredOutcomes_whenAsked() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try HistoryStore(path: path)
        let old = Date().addingTimeInterval(-100 * 86_400)
        _ = try outcome(store, "/r/checkpoint-1", detected: old)
        _ = try outcome(store, "/r/checkpoint-2", detected: old)
        try store.markDelivered([try #require(try store.undelivered(limit: 1).first).sequence])
        let cutoff = Date().addingTimeInterval(-90 * 86_400)
        #expect(try store.purge(detectedBefore: cutoff, keepingUndelivered: true) == 1)
        #expect(try store.records().map(\.path) == ["/r/checkpoint-2"])
        // Without a central history the age rule alone applies, and the outbox row goes too.
        #expect(try store.purge(detectedBefore: cutoff, keepingUndelivered: false) == 1)
        #expect(try store.backlog() == 0)
    }

    @Test func anErrorReplacedByItsRetry_isNotDeliveredTwice() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try HistoryStore(path: path)
        _ = try outcome(store, "/r/checkpoint-1", .error, retryAt: Date().addingTimeInterval(60))
        let retried = try outcome(store, "/r/checkpoint-1", .passed)
        #expect(try store.undelivered(limit: 10).map(\.record.id) == [retried.id])
    }

    @Test func historyID_isRandomPerFile_andStable() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let id = try HistoryStore(path: path).historyID()
        #expect(id.count == 32 && id.allSatisfy(\.isHexDigit))
        #expect(try HistoryStore(path: path).historyID() == id)
        #expect(try HistoryStore(path: directory + "/other.sqlite").historyID() != id)
    }

    @Test func upgradingToV5_queuesWhatIsAlreadyRecorded() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let old = try DatabaseQueue(path: path)
        try HistoryMigrations.migrator.migrate(old, upTo: "v4: unchanged status, pending checkpoints, retries")
        try old.write { db in
            try db.execute(sql: """
                INSERT INTO checkpoint (path, watch, signature, status, fingerprint, drift, detected_at)
                VALUES ('/r/checkpoint-1', 'w', 's', 'passed', 'f1', 0.001, '2026-11-01 10:00:00.000'),
                       ('/r/checkpoint-2', 'w', 's', 'processing', NULL, NULL, '2026-11-01 11:00:00.000'),
                       ('/r/checkpoint-3', 'w', 's', 'restored', 'f3', 0.003, '2026-11-01 12:00:00.000');
                """)
        }
        try old.close()
        let store = try HistoryStore(path: path)
        #expect(try store.undelivered(limit: 10).map(\.record.path) == ["/r/checkpoint-1", "/r/checkpoint-3"])
    }
}
