import Foundation
import History
import PostgresNIO
import Synchronization

extension CentralConnection {
    /// Inserts `entries` (outcomes of the local history `historyID`, in outbox order)
    /// in one transaction. Rows already there — a delivery repeated after a crash — are
    /// left as they are, so every outcome arrives exactly once.
    public func deliver(_ entries: [OutboxEntry], historyID: String) async throws(CentralError) {
        guard !entries.isEmpty else { return }
        let host = settings.host
        let statements = Self.statements(entries, host: host, historyID: historyID)
        try await withTimeout { connection in
            try await connection.transaction { connection in
                for statement in statements { try await connection.query(statement, logger: logger) }
            }
        }
    }

    /// Runs `body`, giving up when it takes longer than the timeout: a server that went
    /// away without closing the connection never answers otherwise. The connection is
    /// then closed in the background and must not be used again; `body`'s task ends
    /// when the close fails what it waits for.
    func withTimeout(_ body: @escaping @Sendable (CentralConnection) async throws -> Void) async throws(CentralError) {
        let seconds = settings.timeoutSeconds
        let destination = settings.destination
        let once = ResumeOnce()
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, CentralError>, Never>) in
            once.set(continuation)
            let work = Task {
                do { try await body(self); once.resume(.success(())) } catch {
                    once.resume(.failure(CentralError.from(error, destination: destination)))
                }
            }
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                guard once.resume(.failure(CentralError(.connection, "\(destination) did not answer within \(Int(seconds)) s"))) else { return }
                work.cancel()
                await self.close()
            }
        }
        try result.get()
    }

    /// The INSERT statements of `entries`: one for the checkpoint rows, then module and
    /// trial rows in chunks under PostgreSQL's 65 535 parameters a statement.
    static func statements(_ entries: [OutboxEntry], host: String, historyID: String) -> [PostgresQuery] {
        var statements = [insert("checkpoint", CentralColumns.checkpoint, rows: entries.map { entry in
            { (binds: inout PostgresBindings) in CentralColumns.bind(entry.record, host: host, historyID: historyID, into: &binds) }
        })]
        let modules = entries.flatMap { entry in entry.modules.map { module in
            { (binds: inout PostgresBindings) in CentralColumns.bind(module, host: host, historyID: historyID, into: &binds) }
        } }
        let trials = entries.flatMap { entry in entry.trials.map { trial in
            { (binds: inout PostgresBindings) in CentralColumns.bind(trial, host: host, historyID: historyID, into: &binds) }
        } }
        for (table, columns, rows) in [("module", CentralColumns.module, modules), ("tune_trial", CentralColumns.trial, trials)] {
            let perStatement = 60_000 / columns.count
            var start = 0
            while start < rows.count {
                statements.append(insert(table, columns, rows: Array(rows[start..<min(start + perStatement, rows.count)])))
                start += perStatement
            }
        }
        return statements
    }

    private static func insert(_ table: String, _ columns: [String], rows: [(inout PostgresBindings) -> Void]) -> PostgresQuery {
        var binds = PostgresBindings(capacity: rows.count * columns.count)
        var values: [String] = []
        values.reserveCapacity(rows.count)
        for (index, bind) in rows.enumerated() {
            let first = index * columns.count
            values.append("(" + (1...columns.count).map { "$\(first + $0)" }.joined(separator: ",") + ")")
            bind(&binds)
        }
        let sql = "INSERT INTO \(table) (\(columns.joined(separator: ","))) VALUES \(values.joined(separator: ",")) ON CONFLICT DO NOTHING"
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }
}

/// A continuation resumed by whichever of two tasks finishes first.
private final class ResumeOnce: Sendable {
    private let continuation = Mutex<CheckedContinuation<Result<Void, CentralError>, Never>?>(nil)

    func set(_ continuation: CheckedContinuation<Result<Void, CentralError>, Never>) {
        self.continuation.withLock { $0 = continuation }
    }

    /// Resumes with `result` unless already resumed; returns whether this call did.
    @discardableResult
    func resume(_ result: Result<Void, CentralError>) -> Bool {
        let pending = continuation.withLock { pending in
            defer { pending = nil }
            return pending
        }
        pending?.resume(returning: result)
        return pending != nil
    }
}
