import Foundation
import GRDB
import GRDBSQLite
import SystemCalls

/// The checkpoint history in SQLite: what the daemon did with every checkpoint.
///
/// WAL mode with `synchronous=NORMAL`, so the CLI reads while the daemon writes and a
/// power cut loses at most the last outcomes, never the file. The WAL is persistent
/// (GRDB's "Sharing a Database"): its `-wal` and `-shm` files outlive the daemon's
/// connections, so a read-only `retaind history` works after the daemon stopped, even
/// where the reader may not create files beside the database. The schema is versioned
/// by named migrations (``HistoryMigrations``).
public final class HistoryStore: Sendable {
    /// The database file.
    public let path: String
    private let pool: DatabasePool
    /// The file's device and inode when opened for writing: every write checks the file
    /// at `path` is still that one.
    private let identity: FileIdentity?

    /// Opens (creating if needed, with its directory) the database the daemon writes.
    public init(path: String) throws(HistoryError) {
        self.path = path
        do { try FileSystem.makeDirectories((path as NSString).deletingLastPathComponent) } catch {
            throw HistoryError(path: path, reason: .system(error))
        }
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                guard !db.configuration.readonly else { return }
                try Self.persistWAL(db)
                // A persistent WAL is not deleted on close: keep it at the auto-checkpoint
                // size (1000 pages) once a checkpoint has emptied it.
                try db.execute(sql: "PRAGMA journal_size_limit = \(Self.walSizeLimit)")
            }
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.requireHistory(pool, path: path)
            try HistoryMigrations.migrator.migrate(pool)
        } catch let error as HistoryError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw HistoryError(path: path, reason: .notAHistory("not an SQLite database"))
        } catch {
            throw HistoryError(path: path, reason: .sqlite(Self.message(error)))
        }
        identity = FileIdentity(path: path)
    }

    /// Refuses a database that holds tables but not retaind's migrations: another
    /// program's file, which migrating would scribble over.
    static func requireHistory(_ reader: some DatabaseReader, path: String) throws {
        try reader.read { db in
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            guard !tables.isEmpty, !tables.contains("grdb_migrations") else { return }
            throw HistoryError(path: path, reason: .notAHistory("it holds tables \(tables.sorted().prefix(5).joined(separator: ", ")) but no retaind schema"))
        }
    }

    /// Opens an existing database for reading (the CLI): never creates or migrates it.
    public init(readingFrom path: String) throws(HistoryError) {
        self.path = path
        identity = nil
        guard FileManager.default.fileExists(atPath: path) else { throw HistoryError(path: path, reason: .missing) }
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(10)
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.requireHistory(pool, path: path)
            let migrator = HistoryMigrations.migrator
            try pool.read { db in
                if try migrator.hasBeenSuperseded(db) {
                    let unknown = try migrator.appliedIdentifiers(db).subtracting(migrator.migrations).sorted().first ?? "?"
                    throw HistoryError(path: path, reason: .sqlite("written by a newer retaind (migration “\(unknown)”); upgrade this one"))
                }
                guard try migrator.hasCompletedMigrations(db) else {
                    let completed = try migrator.completedMigrations(db)
                    let missing = migrator.migrations.first { !completed.contains($0) } ?? "?"
                    throw HistoryError(path: path, reason: .sqlite(
                        "written by an older retaind (migration “\(missing)” not applied); run this version's `retaind run` once to upgrade it"))
                }
            }
        } catch let error as HistoryError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw HistoryError(path: path, reason: .notAHistory("not an SQLite database"))
        } catch {
            throw HistoryError(path: path, reason: .sqlite(Self.message(error)))
        }
    }

    // MARK: Writing (the daemon)

    /// Whether `path` with these exact files already has an outcome: a restart skips it
    /// without reading its weights.
    public func hasOutcome(path: String, signature: String) throws(HistoryError) -> Bool {
        try read { db in
            try CheckpointRecord
                .filter(Column("path") == path && Column("signature") == signature && Column("status") != CheckpointStatus.processing.rawValue)
                .filter(Column("retry_at") == nil || Column("retry_at") > Date())
                .fetchCount(db) > 0
        }
    }

    /// Claims a checkpoint: inserts its `processing` row and returns it with its id.
    public func begin(_ record: CheckpointRecord) throws(HistoryError) -> CheckpointRecord {
        try write { db in
            var record = record
            record.status = .processing
            try record.insert(db)
            return record
        }
    }

    /// The finished outcome for `path` with these weights, if there is one.
    public func outcome(path: String, fingerprint: String) throws(HistoryError) -> CheckpointRecord? {
        try read { db in
            try CheckpointRecord
                .filter(Column("path") == path && Column("fingerprint") == fingerprint && Column("status") != CheckpointStatus.processing.rawValue)
                .filter(Column("retry_at") == nil)
                .fetchOne(db)
        }
    }

    /// Drops a claim whose weights turned out to be already done (same path and
    /// fingerprint, files touched), and records the new signature on the existing outcome
    /// so the next restart skips it cheaply.
    public func resolveDuplicate(claim: CheckpointRecord, of existing: CheckpointRecord) throws(HistoryError) {
        try write { db in
            _ = try CheckpointRecord.deleteOne(db, key: claim.id)
            // The standing outcome answers for these weights: earlier attempts to retry go.
            try CheckpointRecord.filter(Column("path") == claim.path && Column("id") != existing.id && Column("retry_at") != nil).deleteAll(db)
            _ = try PendingRecord.deleteOne(db, key: claim.path)
            try db.execute(sql: "UPDATE checkpoint SET signature = ? WHERE id = ?", arguments: [claim.signature, existing.id])
        }
    }

    /// Records a claim's outcome, its module figures and tuning trials in one transaction.
    public func finish(_ record: CheckpointRecord, modules: [ModuleRecord] = [], trials: [TuneTrialRecord] = []) throws(HistoryError) {
        precondition(record.id != nil && record.status != .processing, "finish needs a claimed row and a final status")
        try write { db in
            // This outcome replaces the retryable ones of the same checkpoint.
            try CheckpointRecord.filter(Column("path") == record.path && Column("id") != record.id! && Column("retry_at") != nil).deleteAll(db)
            try record.update(db)
            _ = try PendingRecord.deleteOne(db, key: record.path)
            try ModuleRecord.filter(Column("checkpoint_id") == record.id!).deleteAll(db)
            for module in modules { try module.insert(db) }
            try TuneTrialRecord.filter(Column("checkpoint_id") == record.id!).deleteAll(db)
            for trial in trials { try trial.insert(db) }
            try db.execute(sql: "INSERT OR IGNORE INTO outbox (checkpoint_id, enqueued_at) VALUES (?, ?)",
                           arguments: [record.id!, record.finishedAt ?? Date()])
        }
    }

    /// The `(α, γ)` settings tried for checkpoint row `id`, in the order tried.
    public func trials(of id: Int64) throws(HistoryError) -> [TuneTrialRecord] {
        try read { db in try TuneTrialRecord.filter(Column("checkpoint_id") == id).order(Column("alpha"), Column("gamma")).fetchAll(db) }
    }

    /// Deletes the rows a crashed daemon left `processing` (their checkpoints are then
    /// processed again from scratch) and returns their paths.
    public func abandonUnfinished() throws(HistoryError) -> [String] {
        try write { db in
            let paths = try String.fetchAll(db, sql: "SELECT path FROM checkpoint WHERE status = 'processing' ORDER BY id")
            try db.execute(sql: "DELETE FROM checkpoint WHERE status = 'processing'")
            return paths
        }
    }

    /// Deletes outcomes detected before `cutoff` (with their module rows) and returns how
    /// many went; vacuums when it removed any, so the file shrinks too.
    ///
    /// With `keepingUndelivered`, outcomes still waiting in the outbox for the central
    /// history stay until delivered.
    @discardableResult
    public func purge(detectedBefore cutoff: Date, keepingUndelivered: Bool = false) throws(HistoryError) -> Int {
        let removed = try write { db in
            var request = CheckpointRecord.filter(Column("detected_at") < cutoff && Column("status") != CheckpointStatus.processing.rawValue)
            if keepingUndelivered { request = request.filter(sql: "id NOT IN (SELECT checkpoint_id FROM outbox)") }
            return try request.deleteAll(db)
        }
        if removed > 0 {
            do { try pool.writeWithoutTransaction { try $0.execute(sql: "VACUUM") } } catch {
                throw HistoryError(path: path, reason: .sqlite(Self.message(error)))
            }
        }
        return removed
    }

    // MARK: Reading (the CLI)

    /// What `retaind history` lists: filters are ANDed, newest first.
    public struct Query: Sendable {
        public var watch: String?
        public var status: CheckpointStatus?
        public var since: Date?
        public var limit: Int?

        public init(watch: String? = nil, status: CheckpointStatus? = nil, since: Date? = nil, limit: Int? = nil) {
            self.watch = watch
            self.status = status
            self.since = since
            self.limit = limit
        }
    }

    /// The outcomes matching `query`, newest first.
    public func records(_ query: Query = Query()) throws(HistoryError) -> [CheckpointRecord] {
        try read { db in
            var request = CheckpointRecord.all()
            if let watch = query.watch { request = request.filter(Column("watch") == watch) }
            if let status = query.status { request = request.filter(Column("status") == status.rawValue) }
            if let since = query.since { request = request.filter(Column("detected_at") >= since) }
            request = request.order(Column("detected_at").desc, Column("id").desc)
            if let limit = query.limit { request = request.limit(limit) }
            return try request.fetchAll(db)
        }
    }

    /// The newest outcome whose path or fingerprint (or a fingerprint prefix of at least
    /// 8 hex digits) is `key`, with its module figures.
    public func outcome(matching key: String) throws(HistoryError) -> (CheckpointRecord, [ModuleRecord])? {
        try read { db in
            var request = CheckpointRecord.filter(Column("path") == key || Column("fingerprint") == key)
            if key.count >= 8, key.allSatisfy(\.isHexDigit) {
                request = CheckpointRecord.filter(Column("path") == key || Column("fingerprint").like("\(key.lowercased())%"))
            }
            guard let record = try request.order(Column("detected_at").desc, Column("id").desc).fetchOne(db) else { return nil }
            let modules = try ModuleRecord.filter(Column("checkpoint_id") == record.id!).order(Column("name")).fetchAll(db)
            return (record, modules)
        }
    }

    /// `PRAGMA synchronous` of the daemon's connections (1 = NORMAL), for checks.
    public func synchronousMode() throws(HistoryError) -> Int {
        try write { try Int.fetchOne($0, sql: "PRAGMA synchronous") ?? -1 }
    }

    // MARK: Plumbing

    func read<T>(_ body: (Database) throws -> T) throws(HistoryError) -> T {
        do { return try pool.read(body) } catch { throw HistoryError(path: path, reason: .sqlite(Self.message(error))) }
    }

    func write<T>(_ body: (Database) throws -> T) throws(HistoryError) -> T {
        if let identity, FileIdentity(path: path) != identity { throw HistoryError(path: path, reason: .replaced) }
        do { return try pool.write(body) } catch { throw HistoryError(path: path, reason: .sqlite(Self.message(error))) }
    }

    /// Bytes a checkpoint leaves the persistent WAL at (`PRAGMA journal_size_limit`).
    static let walSizeLimit = 4 << 20

    /// `SQLITE_FCNTL_PERSIST_WAL` on the connection: its `-wal` and `-shm` files stay
    /// when it closes, so read-only connections can open the database later.
    private static func persistWAL(_ db: Database) throws {
        var flag: CInt = 1
        let code = withUnsafeMutablePointer(to: &flag) { sqlite3_file_control(db.sqliteConnection, nil, SQLITE_FCNTL_PERSIST_WAL, $0) }
        guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
    }

    private static func message(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error)" }
        return "\(error)"
    }
}
