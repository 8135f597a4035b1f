import Foundation
import GRDB

extension HistoryStore {
    /// Records that `record.path` is pending, keeping when it was first seen.
    public func recordPending(_ record: PendingRecord) throws(HistoryError) {
        try write { db in
            var record = record
            if let known = try PendingRecord.fetchOne(db, key: record.path) { record.firstSeen = known.firstSeen }
            try record.save(db)
        }
    }

    /// Forgets that `path` is pending (it got an outcome, or went away).
    public func clearPending(path: String) throws(HistoryError) {
        try write { db in _ = try PendingRecord.deleteOne(db, key: path) }
    }

    /// Forgets every pending directory: at start, the watcher's first scan finds them again.
    public func clearAllPending() throws(HistoryError) {
        try write { db in _ = try PendingRecord.deleteAll(db) }
    }

    /// Pending directories, of one watch or all, oldest first.
    public func pending(watch: String? = nil) throws(HistoryError) -> [PendingRecord] {
        try read { db in
            var request = PendingRecord.all()
            if let watch { request = request.filter(Column("watch") == watch) }
            return try request.order(Column("first_seen"), Column("path")).fetchAll(db)
        }
    }

    /// Whether `path` is pending, and why.
    public func pending(path: String) throws(HistoryError) -> PendingRecord? {
        try read { db in try PendingRecord.fetchOne(db, key: path) }
    }

    /// The newest finished outcome of `path` recorded for exactly these files.
    public func latestOutcome(path: String, signature: String) throws(HistoryError) -> CheckpointRecord? {
        try read { db in
            try CheckpointRecord
                .filter(Column("path") == path && Column("signature") == signature && Column("status") != CheckpointStatus.processing.rawValue)
                .order(Column("id").desc)
                .fetchOne(db)
        }
    }

    /// The newest finished outcome of `path`, whatever its weights.
    public func latestOutcome(path: String) throws(HistoryError) -> CheckpointRecord? {
        try read { db in
            try CheckpointRecord
                .filter(Column("path") == path && Column("status") != CheckpointStatus.processing.rawValue)
                .order(Column("id").desc)
                .fetchOne(db)
        }
    }
}

extension HistoryStore {
    /// When the outcome of `path` with these files is to be tried again, if it is.
    public func nextRetry(path: String, signature: String) throws(HistoryError) -> Date? {
        try read { db in
            try Date.fetchOne(db, sql: """
                SELECT retry_at FROM checkpoint WHERE path = ? AND signature = ? AND status != 'processing' AND retry_at IS NOT NULL
                ORDER BY id DESC LIMIT 1
                """, arguments: [path, signature])
        }
    }

    /// The attempts so far of `path`'s retryable outcomes (0 when it has none).
    public func previousAttempts(path: String) throws(HistoryError) -> Int {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT MAX(attempts) FROM checkpoint WHERE path = ? AND retry_at IS NOT NULL", arguments: [path]) ?? 0
        }
    }

    /// `retaind retry`: marks the newest outcome whose path or fingerprint (or a prefix
    /// of 8+ hex digits) is `key` to be redone now, and returns it; nil when none matches.
    public func requestRetry(matching key: String) throws(HistoryError) -> CheckpointRecord? {
        guard let (record, _) = try outcome(matching: key) else { return nil }
        let now = Date()
        // One statement on the newest finished outcome of that checkpoint: never a claim
        // in progress, never a row read before the daemon rewrote it.
        let marked = try write { db -> CheckpointRecord? in
            guard let target = try CheckpointRecord
                .filter(Column("path") == record.path && Column("status") != CheckpointStatus.processing.rawValue)
                .order(Column("id").desc).fetchOne(db) else { return nil }
            try db.execute(sql: "UPDATE checkpoint SET retry_at = ? WHERE id = ? AND status != 'processing'", arguments: [now, target.id])
            return try CheckpointRecord.fetchOne(db, key: target.id)
        }
        return marked
    }
}
