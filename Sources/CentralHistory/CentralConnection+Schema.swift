import PostgresNIO

extension CentralConnection {
    /// Applies the migrations not applied yet, each in a transaction, and returns their
    /// names; with `role`, grants it what the daemon needs (INSERT and SELECT).
    ///
    /// Run by an operator as the tables' owner (`retaind central migrate`); concurrent
    /// runs wait for each other on a lock.
    public func migrate(grantTo role: String? = nil) async throws(CentralError) -> [String] {
        try await run("CREATE TABLE IF NOT EXISTS retaind_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        var applied: [String] = []
        for migration in CentralSchema.migrations {
            let ran = try await transaction { connection in
                try await connection.query("LOCK TABLE retaind_migrations IN EXCLUSIVE MODE", logger: logger)
                let rows = try await connection.query("SELECT 1 FROM retaind_migrations WHERE name = \(migration.name)", logger: logger)
                for try await _ in rows { return false }
                // One statement per query: the extended protocol takes no more.
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO retaind_migrations (name) VALUES (\(migration.name))", logger: logger)
                return true
            }
            if ran { applied.append(migration.name) }
        }
        if let role {
            guard role.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !role.isEmpty else {
                throw CentralError(.configuration, "--grant takes a role name of letters, digits and _, not “\(role)”")
            }
            for statement in CentralSchema.grants.replacingOccurrences(of: "%ROLE%", with: "\"\(role)\"").split(separator: "\n") {
                try await run(PostgresQuery(unsafeSQL: String(statement)))
            }
        }
        return applied
    }

    /// Throws a `.schema` error unless every migration of this retaind has been applied.
    public func requireSchema() async throws(CentralError) {
        var names: Set<String> = []
        do {
            for try await name in try await run("SELECT name FROM retaind_migrations").decode(String.self) { names.insert(name) }
        } catch let error as CentralError {
            throw error.kind == .schema
                ? CentralError(.schema, "\(settings.destination) has no retaind schema; run `retaind central migrate` as the database owner")
                : error
        } catch {
            throw CentralError.from(error, destination: settings.destination)
        }
        if let missing = CentralSchema.migrations.first(where: { !names.contains($0.name) }) {
            throw CentralError(.schema, "\(settings.destination) lacks migration “\(missing.name)”; run `retaind central migrate` with this retaind")
        }
    }
}
