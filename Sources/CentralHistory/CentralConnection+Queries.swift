import Foundation
import History
import PostgresNIO

/// One outcome in the central history: the host it came from and its row there.
public struct CentralRecord: Sendable, Equatable {
    public let host: String
    /// The row as the host recorded it (its `id` is the host's local id).
    public let record: CheckpointRecord
    /// The order it arrived in (increasing per host in the order the host recorded).
    public let arrival: Int64
}

extension CentralConnection {
    /// What the fleet views list: filters are ANDed, newest first.
    public struct Query: Sendable {
        public var host: String?
        public var watch: String?
        public var status: CheckpointStatus?
        public var since: Date?
        public var limit: Int?

        public init(host: String? = nil, watch: String? = nil, status: CheckpointStatus? = nil, since: Date? = nil, limit: Int? = nil) {
            self.host = host
            self.watch = watch
            self.status = status
            self.since = since
            self.limit = limit
        }
    }

    /// The outcomes of every host matching `query`, newest first.
    public func records(_ query: Query = Query()) async throws(CentralError) -> [CentralRecord] {
        var binds = PostgresBindings()
        var conditions: [String] = []
        func condition(_ sql: String, _ value: some PostgresDynamicTypeEncodable) {
            binds.append(value)
            conditions.append(sql.replacingOccurrences(of: "?", with: "$\(binds.count)"))
        }
        if let host = query.host { condition("host = ?", host) }
        if let watch = query.watch { condition("watch = ?", watch) }
        if let status = query.status { condition("status = ?", status.rawValue) }
        if let since = query.since { condition("detected_at >= ?", since) }
        var sql = "SELECT * FROM checkpoint"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY detected_at DESC, host, local_id DESC"
        if let limit = query.limit { sql += " LIMIT \(max(0, limit))" }
        return try await collect(PostgresQuery(unsafeSQL: sql, binds: binds)) { row in
            CentralRecord(host: try row["host"].decode(String.self), record: try CentralColumns.record(row),
                          arrival: try row["arrival"].decode(Int64.self))
        }
    }

    /// The newest outcome whose path or fingerprint (or a fingerprint prefix of at least
    /// 8 hex digits) is `key`, on `host` or any, with its module figures.
    public func outcome(matching key: String, host: String? = nil) async throws(CentralError) -> (CentralRecord, [ModuleRecord])? {
        var binds = PostgresBindings()
        binds.append(key)
        var sql = "SELECT * FROM checkpoint WHERE (path = $1 OR fingerprint = $1"
        if key.count >= 8, key.allSatisfy(\.isHexDigit) {
            binds.append(key.lowercased() + "%")
            sql += " OR fingerprint LIKE $2"
        }
        sql += ")"
        if let host {
            binds.append(host)
            sql += " AND host = $\(binds.count)"
        }
        sql += " ORDER BY detected_at DESC, arrival DESC LIMIT 1"
        let found = try await collect(PostgresQuery(unsafeSQL: sql, binds: binds)) { row in
            (CentralRecord(host: try row["host"].decode(String.self), record: try CentralColumns.record(row),
                           arrival: try row["arrival"].decode(Int64.self)),
             try row["history_id"].decode(String.self))
        }
        guard let (central, historyID) = found.first, let id = central.record.id else { return nil }
        var moduleBinds = PostgresBindings()
        moduleBinds.append(central.host)
        moduleBinds.append(historyID)
        moduleBinds.append(id)
        let modules = try await collect(PostgresQuery(
            unsafeSQL: "SELECT * FROM module WHERE host = $1 AND history_id = $2 AND local_id = $3 ORDER BY name", binds: moduleBinds)) { row in
            try CentralColumns.module(row, checkpointID: id)
        }
        return (central, modules)
    }

    private func collect<T>(_ query: PostgresQuery, _ transform: (PostgresRandomAccessRow) throws -> T) async throws(CentralError) -> [T] {
        do {
            var result: [T] = []
            for try await row in try await run(query) { result.append(try transform(row.makeRandomAccess())) }
            return result
        } catch let error as CentralError {
            throw error
        } catch {
            throw CentralError.from(error, destination: settings.destination)
        }
    }
}
