import Foundation
import GRDB

/// One finished outcome waiting to go to the central history, with everything it
/// carries there.
public struct OutboxEntry: Sendable, Equatable {
    /// Its place in the outbox: outcomes go out in this order.
    public let sequence: Int64
    public let record: CheckpointRecord
    public let modules: [ModuleRecord]
    public let trials: [TuneTrialRecord]

    public init(sequence: Int64, record: CheckpointRecord, modules: [ModuleRecord], trials: [TuneTrialRecord]) {
        self.sequence = sequence
        self.record = record
        self.modules = modules
        self.trials = trials
    }
}

extension HistoryStore {
    /// This database's random id: with the host name it keys its rows in a central
    /// history, so a history file created anew never collides with the old one's.
    public func historyID() throws(HistoryError) -> String {
        try read { db in try String.fetchOne(db, sql: "SELECT history_id FROM replica") ?? "" }
    }

    /// The oldest `limit` outcomes not delivered yet, in the order they were recorded.
    public func undelivered(limit: Int) throws(HistoryError) -> [OutboxEntry] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT sequence, checkpoint_id FROM outbox ORDER BY sequence LIMIT ?", arguments: [limit])
            let ids: [Int64] = rows.map { $0["checkpoint_id"] }
            let records = Dictionary(uniqueKeysWithValues: try CheckpointRecord.filter(keys: ids).fetchAll(db).map { ($0.id!, $0) })
            let modules = try Self.modules(of: ids, in: db)
            let trials = Dictionary(grouping: try TuneTrialRecord.filter(ids.contains(Column("checkpoint_id"))).fetchAll(db), by: \.checkpointID)
            return rows.compactMap { row in
                let id: Int64 = row["checkpoint_id"]
                guard let record = records[id] else { return nil }
                return OutboxEntry(sequence: row["sequence"], record: record, modules: modules[id] ?? [], trials: trials[id] ?? [])
            }
        }
    }

    /// Removes delivered outcomes from the outbox.
    public func markDelivered(_ sequences: [Int64]) throws(HistoryError) {
        guard !sequences.isEmpty else { return }
        try write { db in try db.execute(sql: "DELETE FROM outbox WHERE sequence IN (\(sequences.map(String.init).joined(separator: ",")))") }
    }

    /// How many outcomes wait to be delivered.
    public func backlog() throws(HistoryError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox") ?? 0 }
    }
}
