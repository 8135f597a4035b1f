import Foundation
import GRDB
import History
import Testing

/// The SQLite history: exactly-once bookkeeping, crash recovery, purge and queries, on
/// a real database file.
struct HistoryStoreTests {
    let directory = NSTemporaryDirectory() + "retaind-history-" + UUID().uuidString
    var path: String { directory + "/state/history.sqlite" }

    func claim(_ store: HistoryStore, _ path: String, signature: String = "sig", watch: String = "w",
               detected: Date = Date()) throws -> CheckpointRecord {
        try store.begin(CheckpointRecord(path: path, watch: watch, signature: signature, detectedAt: detected))
    }

    func finish(_ store: HistoryStore, _ record: CheckpointRecord, _ status: CheckpointStatus, fingerprint: String?,
                modules: [ModuleRecord] = []) throws {
        var record = record
        record.status = status
        record.fingerprint = fingerprint
        record.drift = 0.001
        record.finishedAt = Date()
        try store.finish(record, modules: modules)
    }

    @Test func newDatabase_isWALWithSynchronousNormal() throws {
        let store = try HistoryStore(path: path)
        _ = try claim(store, "/runs/a")
        let queue = try DatabaseQueue(path: path)
        let mode = try queue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        // synchronous is per connection: check the daemon's own.
        let names = try queue.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(names == ["v1: checkpoints and module figures", "v2: verification perplexities", "v3: tuning trials",
                          "v4: unchanged status, pending checkpoints, retries", "v5: outbox for the central history",
                          "v6: tuning data and search, forgetting guard"])
        #expect(try store.synchronousMode() == 1)  // NORMAL
    }

    @Test func outcomeIsKeyedByPathAndSignature_thenByFingerprint() throws {
        let store = try HistoryStore(path: path)
        let first = try claim(store, "/runs/a", signature: "s1")
        #expect(try !store.hasOutcome(path: "/runs/a", signature: "s1"), "a claim in progress is not an outcome")
        try finish(store, first, .passed, fingerprint: "f1")
        #expect(try store.hasOutcome(path: "/runs/a", signature: "s1"))
        #expect(try !store.hasOutcome(path: "/runs/a", signature: "s2"))
        #expect(try !store.hasOutcome(path: "/runs/b", signature: "s1"))

        // Files touched, same weights: the claim is dropped, the signature moves over.
        let touched = try claim(store, "/runs/a", signature: "s2")
        let existing = try #require(try store.outcome(path: "/runs/a", fingerprint: "f1"))
        try store.resolveDuplicate(claim: touched, of: existing)
        #expect(try store.records().count == 1)
        #expect(try store.hasOutcome(path: "/runs/a", signature: "s2"))

        // The same path and fingerprint cannot get a second outcome.
        let again = try claim(store, "/runs/a", signature: "s3")
        #expect(throws: HistoryError.self) { try finish(store, again, .passed, fingerprint: "f1") }
    }

    @Test func rowsLeftProcessingByACrash_areAbandonedForRedo() throws {
        let store = try HistoryStore(path: path)
        let done = try claim(store, "/runs/done")
        try finish(store, done, .restored, fingerprint: "f")
        _ = try claim(store, "/runs/in-flight")
        // A new daemon on the same file.
        let restarted = try HistoryStore(path: path)
        #expect(try restarted.abandonUnfinished() == ["/runs/in-flight"])
        #expect(try restarted.records().map(\.path) == ["/runs/done"])
    }

    @Test func moduleFigures_roundTripAndGoWithTheirCheckpoint() throws {
        let store = try HistoryStore(path: path)
        let record = try claim(store, "/runs/a")
        let module = ModuleRecord(checkpointID: record.id!, name: "model.layers.0.mlp.down_proj.weight", site: "layers.0.mlp.down",
                                  rho: 0.002, beta: 0.1, energy: 1.5, referenceEnergy: 3e5, energyUpper: 1.7, rhoAfter: 0.0004,
                                  updateKept: 0.8, forgetKept: 0.9)
        try finish(store, record, .restored, fingerprint: "abcdef0123456789", modules: [module])
        let (found, modules) = try #require(try store.outcome(matching: "abcdef01"))
        #expect(found.path == "/runs/a")
        #expect(modules == [module])
        #expect(try store.outcome(matching: "/runs/a")?.0.id == record.id)
        #expect(try store.outcome(matching: "abc") == nil, "prefixes under 8 digits do not match")

        _ = try store.purge(detectedBefore: Date().addingTimeInterval(60))
        let queue = try DatabaseQueue(path: path)
        #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM module") } == 0)
    }

    @Test func purge_removesOnlyOldOutcomes() throws {
        let store = try HistoryStore(path: path)
        let old = try claim(store, "/runs/old", detected: Date().addingTimeInterval(-100 * 86_400))
        try finish(store, old, .passed, fingerprint: "1")
        let recent = try claim(store, "/runs/new")
        try finish(store, recent, .passed, fingerprint: "2")
        #expect(try store.purge(detectedBefore: Date().addingTimeInterval(-90 * 86_400)) == 1)
        #expect(try store.records().map(\.path) == ["/runs/new"])
    }

    @Test func queries_filterByWatchStatusAndTime_newestFirst() throws {
        let store = try HistoryStore(path: path)
        let now = Date()
        for (i, (watch, status)) in [("a", CheckpointStatus.passed), ("a", .restored), ("b", .rejected), ("a", .passed)].enumerated() {
            let record = try claim(store, "/runs/\(i)", watch: watch, detected: now.addingTimeInterval(Double(i - 10) * 3600))
            try finish(store, record, status, fingerprint: status == .rejected ? nil : "f\(i)")
        }
        #expect(try store.records().map(\.path) == ["/runs/3", "/runs/2", "/runs/1", "/runs/0"])
        #expect(try store.records(.init(watch: "a")).map(\.path) == ["/runs/3", "/runs/1", "/runs/0"])
        #expect(try store.records(.init(status: .passed)).map(\.path) == ["/runs/3", "/runs/0"])
        #expect(try store.records(.init(since: now.addingTimeInterval(-8.5 * 3600))).map(\.path) == ["/runs/3", "/runs/2"])
        #expect(try store.records(.init(limit: 1)).map(\.path) == ["/runs/3"])
    }

    @Test func closedByTheDaemon_thenReadOnlyInADirectoryNobodyMayWrite_works() throws {
        do {
            let store = try HistoryStore(path: path)
            try finish(store, try claim(store, "/runs/a"), .passed, fingerprint: "f1")
        }
        // The daemon's connections are closed; its WAL files stay for readers.
        for suffix in ["-wal", "-shm"] { #expect(FileManager.default.fileExists(atPath: path + suffix), "\(suffix) was deleted") }
        let state = (path as NSString).deletingLastPathComponent
        for dir in [directory, state] { try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: dir) }
        defer { for dir in [directory, state] { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir) } }

        // Root may write anywhere: as root, read first as nobody, with SQLite's own
        // read-only open (the system's python3: nobody cannot reach a pyenv in /root).
        let python = "/usr/bin/python3"
        if getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), FileManager.default.isExecutableFile(atPath: python) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", python, "-c",
                                 "import sqlite3, sys; print(sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True).execute('SELECT path FROM checkpoint').fetchall())",
                                 path]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(text)")
            #expect(text.contains("/runs/a"), "\(text)")
        }

        let reader = try HistoryStore(readingFrom: path)
        #expect(try reader.records().map(\.path) == ["/runs/a"])
    }

    @Test func readOnlyOpen_ofANewerOrOlderSchema_isRefusedWithWhatToDo() throws {
        do { _ = try HistoryStore(path: path) }
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('v99: from the future')") }
        #expect {
            _ = try HistoryStore(readingFrom: path)
        } throws: { error in
            (error as? HistoryError)?.description.contains("written by a newer retaind (migration “v99: from the future”)") == true
        }
        try queue.write { try $0.execute(sql: "DELETE FROM grdb_migrations WHERE identifier IN ('v99: from the future', 'v3: tuning trials')") }
        #expect {
            _ = try HistoryStore(readingFrom: path)
        } throws: { error in
            (error as? HistoryError)?.description.contains("older retaind (migration “v3: tuning trials” not applied)") == true
        }
    }

    @Test func readOnlyOpen_ofAMissingDatabase_saysWhatToDo() {
        #expect {
            _ = try HistoryStore(readingFrom: directory + "/nothing.sqlite")
        } throws: { error in
            (error as? HistoryError)?.description.contains("has `retaind run` been started") == true
        }
    }
}
