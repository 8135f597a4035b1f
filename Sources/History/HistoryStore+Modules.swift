import GRDB

extension HistoryStore {
    /// The module figures of checkpoint rows `ids`, keyed by row id, each sorted by name:
    /// what a report draws its heatmaps from, in one read.
    public func modules(of ids: [Int64]) throws(HistoryError) -> [Int64: [ModuleRecord]] {
        guard !ids.isEmpty else { return [:] }
        return try read { db in try Self.modules(of: ids, in: db) }
    }

    /// ``modules(of:)`` inside a read that is already open.
    static func modules(of ids: [Int64], in db: Database) throws -> [Int64: [ModuleRecord]] {
        var byCheckpoint: [Int64: [ModuleRecord]] = [:]
        // SQLite caps bound parameters (32766); batches stay well under it.
        for start in stride(from: 0, to: ids.count, by: 500) {
            let batch = Array(ids[start..<min(start + 500, ids.count)])
            for module in try ModuleRecord.filter(batch.contains(Column("checkpoint_id"))).order(Column("checkpoint_id"), Column("name")).fetchAll(db) {
                byCheckpoint[module.checkpointID, default: []].append(module)
            }
        }
        return byCheckpoint
    }
}
