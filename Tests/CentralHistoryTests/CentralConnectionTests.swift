import CentralHistory
import Foundation
import History
import Logging
import Testing
import TestSupport

/// The central history against a real PostgreSQL server: schema by migrations, delivery
/// exactly once and in order, fleet queries, and failures an operator can act on.
@Suite(.serialized, .enabled(if: PostgresServer.isInstalled, "PostgreSQL is not installed (scripts/setup.sh installs it)"))
struct CentralConnectionTests {
    static let quiet: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    func settings(_ server: PostgresServer, user: String? = nil, password: String? = nil, tls: CentralSettings.TLSMode = .disable,
                  caFile: String? = nil, host: String = "gpu-a") throws -> CentralSettings {
        let file = try server.passwordFile(password ?? (user == server.owner ? server.ownerPassword : server.rolePassword),
                                           name: "pw-\(UUID().uuidString.prefix(6))")
        return try CentralSettings(url: server.url(user: user), passwordFile: file, tls: tls, caFile: caFile, host: host)
    }

    /// A local history with `count` finished outcomes of 3 modules each.
    func localHistory(_ count: Int) throws -> (HistoryStore, String) {
        let directory = NSTemporaryDirectory() + "retaind-central-local-" + UUID().uuidString
        let store = try HistoryStore(path: directory + "/history.sqlite")
        for i in 0..<count {
            var record = try store.begin(CheckpointRecord(path: "/runs/r/checkpoint-\(i)", watch: "w", signature: "s\(i)", detectedAt: Date()))
            record.status = i % 3 == 2 ? .restored : .passed
            record.fingerprint = "f\(i)"
            record.drift = 0.001 * Double(i + 1)
            record.restoredPath = record.status == .restored ? "/out/checkpoint-\(i)" : nil
            record.driftAfter = record.status == .restored ? 0.0001 : nil
            record.finishedAt = Date()
            let restored = record.status == .restored
            if restored {
                record.tuneData = "retain /p/retain.jsonl (4096 tokens); forget /p/forget.jsonl (4096 tokens)"
                record.verifyData = "retain /h/retain.jsonl (9000 tokens); forget /h/forget.jsonl (9000 tokens)"
                record.tuneEvaluations = 15
            }
            let id = record.id!
            let trials = restored ? [TuneTrialRecord(checkpointID: id, alpha: 17.2, gamma: 10, driftAfter: 0.0001, forgetKept: 0.9, retainPPL: 11,
                                                     forgetPPL: 30, chosen: true, updateKept: 1.5, stage: "refine")] : []
            try store.finish(record, modules: (0..<3).map {
                ModuleRecord(checkpointID: id, name: "model.layers.\($0).mlp.up_proj", site: "s", rho: 0.1 * Double($0), beta: 0.2,
                             energy: 1, referenceEnergy: 2, energyUpper: 3, rhoAfter: restored ? 0.01 : nil)
            }, trials: trials)
        }
        return (store, directory)
    }

    /// Runs `body` on a connection with `settings`, closed afterwards whatever happens
    /// (postgres-nio traps on a connection dropped open).
    func using<T>(_ settings: CentralSettings, _ body: (CentralConnection) async throws -> T) async throws -> T {
        let connection = try await CentralConnection.open(settings, logger: Self.quiet)
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// The error opening a connection with `settings` gave, or nil when it connected.
    func openError(_ settings: CentralSettings) async -> CentralError? {
        do {
            let connection = try await CentralConnection.open(settings, logger: Self.quiet)
            await connection.close()
            return nil
        } catch {
            return error
        }
    }

    /// The error `requireSchema` gave, or nil.
    func schemaError(_ connection: CentralConnection) async -> CentralError? {
        do {
            try await connection.requireSchema()
            return nil
        } catch {
            return error
        }
    }

    func migrated(_ server: PostgresServer) async throws {
        _ = try await using(try settings(server, user: server.owner)) { try await $0.migrate(grantTo: server.role) }
    }

    @Test func migrate_appliesOnce_andGrantsTheDaemonRoleInsertAndSelectOnly() async throws {
        let server = try PostgresServer()
        let applied = try await using(try settings(server, user: server.owner)) { owner in
            [try await owner.migrate(grantTo: server.role), try await owner.migrate(grantTo: server.role)]
        }
        #expect(applied == [CentralSchema.migrations.map(\.name), []])

        let (store, directory) = try localHistory(1)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let count = try await using(try settings(server)) { daemon in
            try await daemon.requireSchema()
            try await daemon.deliver(try store.undelivered(limit: 10), historyID: try store.historyID())
            return try await daemon.records().count
        }
        #expect(count == 1)
        // The role cannot change the schema or delete rows.
        #expect(throws: Error.self) { try server.psql("SET ROLE retaind; DELETE FROM checkpoint;") }
        #expect(try server.psql("SELECT count(*) FROM checkpoint").trimmingCharacters(in: .whitespacesAndNewlines) == "1")
    }

    @Test func deliveringTwice_insertsEveryOutcomeOnce_inOrder_withItsModules() async throws {
        let server = try PostgresServer()
        try await migrated(server)
        let (store, directory) = try localHistory(7)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let entries = try store.undelivered(limit: 100)
        let historyID = try store.historyID()
        let (rows, shownOutcome, other) = try await using(try settings(server)) { connection in
            try await connection.deliver(Array(entries.prefix(4)), historyID: historyID)
            // A crash after COMMIT, before the outbox rows went: the same entries again.
            try await connection.deliver(entries, historyID: historyID)
            try await connection.deliver(entries, historyID: historyID)
            return (try await connection.records(), try await connection.outcome(matching: "/runs/r/checkpoint-2"),
                    try await connection.records(.init(host: "gpu-b")))
        }
        #expect(rows.count == 7)
        #expect(Set(rows.map(\.record.id)).count == 7)
        // Arrival order is the local order.
        #expect(rows.sorted { $0.arrival < $1.arrival }.map(\.record.id) == entries.map(\.record.id))
        #expect(try server.psql("SELECT count(*) FROM module").trimmingCharacters(in: .whitespacesAndNewlines) == "21")
        #expect(try server.psql("SELECT DISTINCT stage || ' ' || update_kept FROM tune_trial").trimmingCharacters(in: .whitespacesAndNewlines) == "refine 1.5")
        // Rows read back equal what the host recorded.
        for entry in entries {
            let central = try #require(rows.first { $0.record.id == entry.record.id })
            #expect(central.host == "gpu-a")
            var expected = entry.record
            var got = central.record
            // PostgreSQL keeps microseconds; SQLite milliseconds.
            for date in [\CheckpointRecord.detectedAt] { #expect(abs(got[keyPath: date].timeIntervalSince(expected[keyPath: date])) < 0.001) }
            #expect(abs((got.finishedAt ?? .distantPast).timeIntervalSince(expected.finishedAt ?? .distantPast)) < 0.001)
            got.detectedAt = expected.detectedAt
            got.finishedAt = expected.finishedAt
            expected.id = got.id
            #expect(got == expected)
        }
        let (shown, modules) = try #require(shownOutcome)
        #expect(shown.record.status == .restored)
        #expect(modules.map(\.rhoAfter) == [0.01, 0.01, 0.01])
        #expect(other.isEmpty)
    }

    @Test func failures_sayWhatIsWrong() async throws {
        let server = try PostgresServer(tls: true)
        // Wrong password.
        let password = try #require(await openError(try settings(server, password: "wrong")), "a wrong password connected")
        #expect(password.kind == .authentication, "\(password)")
        #expect(password.message.contains("password authentication failed"), "\(password)")
        // verify-full against a CA that did not sign the server's certificate.
        let untrusted = try #require(await openError(try settings(server, tls: .verifyFull, caFile: try server.otherCA())),
                                     "an untrusted certificate was accepted")
        #expect(untrusted.kind == .tls, "\(untrusted)")
        // verify-full with the right CA works; the schema is missing until migrated.
        let missing = try await using(try settings(server, tls: .verifyFull, caFile: server.caFile)) { await schemaError($0) }
        let schema = try #require(missing, "no schema, but requireSchema passed")
        #expect(schema.kind == .schema && schema.message.contains("retaind central migrate"), "\(schema)")
        // Nothing listening.
        var closed = try settings(server)
        closed.port = 1
        let refused = try #require(await openError(closed), "connected to a closed port")
        #expect(refused.kind == .connection && refused.message.contains("refused"), "\(refused)")
    }

    @Test func aServerThatIsNotPostgreSQL_isNamedAsSuch() async throws {
        let http = try NotPostgresServer()
        let port = http.port
        let file = NSTemporaryDirectory() + "pw-\(UUID().uuidString)"
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        for tls in [CentralSettings.TLSMode.disable, .require] {
            let settings = try CentralSettings(url: "postgresql://retaind@127.0.0.1:\(port)/retaind", passwordFile: file, tls: tls,
                                               caFile: nil, host: "h")
            let error = try #require(await openError(settings), "an HTTP server passed as PostgreSQL")
            #expect(error.kind == .protocolError && error.message.contains("does not speak the PostgreSQL protocol"), "\(error)")
            #expect(error.message.contains("127.0.0.1:\(port)"), "\(error)")
        }
        withExtendedLifetime(http) {}
    }

    @Test func settings_refuseAPasswordInTheURL() {
        #expect(throws: CentralError.self) {
            try CentralSettings(url: "postgresql://retaind:secret@db/retaind", passwordFile: nil, tls: .disable, caFile: nil, host: nil)
        }
        let parsed = try? CentralSettings(url: "postgresql://retaind@db.example:6432/fleet", passwordFile: nil, tls: .verifyFull,
                                          caFile: nil, host: nil)
        #expect(parsed?.server == "db.example" && parsed?.port == 6432 && parsed?.database == "fleet" && parsed?.user == "retaind")
        #expect(parsed?.host == ProcessInfo.processInfo.hostName)
    }
}
