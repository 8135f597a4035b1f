import Foundation
import Testing

/// `retaind history` and `retaind show` on the state a real daemon run left.
@Suite(.serialized) struct HistoryCommandTests {
    /// One daemon run shared by the tests: a passing, a restored and a rejected checkpoint.
    static let state: Result<DaemonHarness, any Error> = Result {
        let daemon = try DaemonHarness(name: "history-cli")
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0))
        try daemon.start()
        try CheckpointMaker.interpolated(0.2, into: daemon.staging + "/checkpoint-1")
        try CheckpointMaker.interpolated(1.5, into: daemon.staging + "/checkpoint-2")
        try CheckpointMaker.raw(Array("not a safetensors file".utf8), into: daemon.staging + "/checkpoint-3")
        for name in ["checkpoint-1", "checkpoint-2", "checkpoint-3"] { try daemon.moveIn(name) }
        try daemon.waitForOutcomes(3)
        try daemon.stop()
        return daemon
    }

    func run(_ arguments: [String]) throws -> RetaindProcess.Result {
        let daemon = try Self.state.get()
        return try RetaindProcess.run(arguments + ["--config", daemon.configPath])
    }

    @Test func historyJSON_isAnArrayOfRowsWithSpecNames() throws {
        let result = try run(["history", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 3)
        let restored = try #require(rows.first { $0["status"] as? String == "restored" })
        for key in ["path", "status", "drift", "drift_max", "drift_max_module", "drift_after", "forget_kept", "update_kept",
                    "alpha", "gamma", "fingerprint", "base_fingerprint", "threshold", "restored_path", "watch"] {
            #expect(restored[key] != nil, "no \(key)")
        }
        #expect((restored["drift_after"] as? Double ?? 1) < (restored["drift"] as? Double ?? 0))
        let rejected = try #require(rows.first { $0["status"] as? String == "rejected" })
        #expect((rejected["error"] as? String)?.isEmpty == false)
    }

    @Test func historyFilters_byStatusWatchAndTime() throws {
        let daemon = try Self.state.get()
        let restored = try run(["history", "--status", "restored", "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(restored.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["path"] as? String } == [daemon.runs + "/checkpoint-2"])
        #expect(try run(["history", "--watch", "other"]).stdout.contains("no outcomes"))
        #expect(try run(["history", "--since", "1h"]).stdout.contains("checkpoint-3"))
        #expect(!(try run(["history", "--since", "2999-01-01"]).stdout.contains("checkpoint")))
        #expect(try run(["history", "--since", "yesterday-ish"]).status == 64)
    }

    @Test func show_byPathOrFingerprintPrefix_listsModulesBeforeAndAfter() throws {
        let daemon = try Self.state.get()
        let byPath = try run(["show", daemon.runs + "/checkpoint-2", "--json"])
        #expect(byPath.status == 0, "\(byPath.stderr)")
        let row = try #require((try JSONSerialization.jsonObject(with: Data(byPath.stdout.utf8)) as? [[String: Any]])?.first)
        let modules = try #require(row["modules"] as? [[String: Any]])
        #expect(modules.count == 14)
        for key in ["name", "site", "rho", "beta", "energy", "reference_energy", "energy_upper", "rho_after"] {
            #expect(modules.allSatisfy { $0[key] != nil }, "modules lack \(key)")
        }
        let fingerprint = try #require(row["fingerprint"] as? String)
        let byPrefix = try run(["show", String(fingerprint.prefix(10))])
        #expect(byPrefix.status == 0)
        #expect(byPrefix.stdout.contains("checkpoint-2") && byPrefix.stdout.contains("rho_after"))
        let missing = try run(["show", "/nowhere/checkpoint-9"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no outcome for /nowhere/checkpoint-9"))
    }

    @Test func readingCommands_withoutADatabase_sayWhy() throws {
        let directory = NSTemporaryDirectory() + "retaind-nodb-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = directory + "/retaind.toml"
        try """
            [store]
            database = "\(directory)/history.sqlite"
            [[watch]]
            name = "w"
            dirs = ["\(directory)"]
            base = "\(DaemonHarness.fixtures)base"
            retain_profile = "\(DaemonHarness.fixtures)retain.profile.safetensors"
            [watch.gate]
            threshold = 0.001
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let result = try RetaindProcess.run(["history", "--config", config])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no history database at \(directory)/history.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/history.sqlite"), "a reader must not create the database")
    }
}

/// `retaind check-config`: exit status and the key and line of the first problem.
struct CheckConfigCommandTests {
    @Test func validFile_exits0_typo_exits1WithKeyAndLine() throws {
        let directory = NSTemporaryDirectory() + "retaind-check-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = directory + "/retaind.toml"
        let good = DaemonHarness.watch(name: "w", dirs: [directory])
        try "[store]\ndatabase = \"\(directory)/h.sqlite\"\n\(good)".write(toFile: config, atomically: true, encoding: .utf8)
        let ok = try RetaindProcess.run(["check-config", config])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("w: \(directory) / checkpoint-*; threshold 0.001"))

        try "[store]\ndatabase = \"\(directory)/h.sqlite\"\n\(good)".replacingOccurrences(of: "settle_seconds", with: "settle_second")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let typo = try RetaindProcess.run(["check-config", config])
        #expect(typo.status == 1)
        #expect(typo.stderr.contains("\(config):9: watch[0].settle_second: unknown key"), "\(typo.stderr)")

        try "[store]\ndatabase = \"\(directory)/h.sqlite\"\n\(good)".replacingOccurrences(of: "retain.profile", with: "nothing.profile")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let missing = try RetaindProcess.run(["check-config", config])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("nothing.profile.safetensors"))
    }
}
