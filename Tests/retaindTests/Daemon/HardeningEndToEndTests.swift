import Foundation
import History
import TestSupport
import Testing

/// What a watched directory or a careless operator can do, against the real daemon:
/// nothing stops it, transient failures are retried, one daemon per history.
@Suite(.serialized) struct HardeningEndToEndTests {
    static func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test func aFIFOInAnyRole_isRejectedWithItsName_andNothingBlocks() throws {
        let daemon = try DaemonHarness(name: "fifo")
        // One FIFO there before start: READY must still come.
        let early = daemon.runs + "/checkpoint-early"
        try FileManager.default.createDirectory(atPath: early, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: DaemonHarness.fixtures + "base/config.json", toPath: early + "/config.json")
        #expect(mkfifo(early + "/model.safetensors", 0o644) == 0)
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0, stalled: 2))
        try daemon.start()

        let s = daemon.staging
        let roles: [(String, String, () throws -> Void)] = [
            ("weights", "model.safetensors", {
                try FileManager.default.createDirectory(atPath: s + "/weights", withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: DaemonHarness.fixtures + "base/config.json", toPath: s + "/weights/config.json")
                _ = mkfifo(s + "/weights/model.safetensors", 0o644)
            }),
            ("index", "model.safetensors.index.json", {
                try CheckpointMaker.copy("cand-sharded", into: s + "/index")
                try FileManager.default.removeItem(atPath: s + "/index/model.safetensors.index.json")
                _ = mkfifo(s + "/index/model.safetensors.index.json", 0o644)
            }),
            ("config", "config.json", {
                try CheckpointMaker.copy("cand-full", into: s + "/config")
                try FileManager.default.removeItem(atPath: s + "/config/config.json")
                _ = mkfifo(s + "/config/config.json", 0o644)
            }),
            ("adapter", "adapter_config.json", {
                try CheckpointMaker.copy("cand-lora", into: s + "/adapter")
                try FileManager.default.removeItem(atPath: s + "/adapter/adapter_config.json")
                _ = mkfifo(s + "/adapter/adapter_config.json", 0o644)
            }),
        ]
        for (name, _, build) in roles {
            try build()
            try daemon.moveIn(name, to: daemon.runs + "/checkpoint-" + name)
        }
        let rows = try daemon.waitForOutcomes(roles.count + 1, timeout: 30)
        for (name, file, _) in roles + [("early", "model.safetensors", {})] {
            let row = rows.first { $0.path == daemon.runs + "/checkpoint-" + name }
            #expect(row?.status == .rejected, "\(name): \(row.map { "\($0.status) \($0.error ?? "")" } ?? "no row")")
            #expect(row?.error?.contains(file) == true && row?.error?.contains("FIFO") == true, "\(name): \(row?.error ?? "")")
        }
        // A FIFO as the completion marker is no marker: the checkpoint stays pending, nothing blocks.
        try CheckpointMaker.interpolated(0.2, into: s + "/marker")
        try Data(count: 1).write(to: URL(fileURLWithPath: s + "/marker/optimizer.pt"))
        _ = mkfifo(s + "/marker/trainer_state.json", 0o644)
        try daemon.moveIn("marker", to: daemon.runs + "/checkpoint-marker")
        // Still serving, and it stops on SIGTERM.
        try CheckpointMaker.interpolated(0.2, into: s + "/good")
        try daemon.moveIn("good", to: daemon.runs + "/checkpoint-good")
        #expect(try daemon.waitForOutcomes(roles.count + 2).contains { $0.path.hasSuffix("checkpoint-good") && $0.status == .passed })
        #expect(try HistoryStore(readingFrom: daemon.database).pending(path: daemon.runs + "/checkpoint-marker") != nil)
        #expect(try daemon.stop() == 0)
    }

    @Test(.enabled(if: getuid() == 0, "needs root to mount a tmpfs"))
    func aFullOutputDisk_isRetriedWithBackoff_untilItHasRoom() throws {
        let daemon = try DaemonHarness(name: "retry")
        let small = daemon.directory + "/small"
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        #expect(try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", small]) == 0)
        defer { _ = try? Self.run("/bin/umount", [small]) }
        try """
            [store]
            database = "\(daemon.database)"
            output_root = "\(small)"
            retry_seconds = 1

            \(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0))
            """.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        try daemon.start()
        try CheckpointMaker.interpolated(1.5, into: daemon.staging + "/checkpoint-1")
        try daemon.moveIn("checkpoint-1")
        let failed = try #require(try daemon.waitForOutcomes(1).first)
        #expect(failed.status == .error && failed.retryAt != nil && failed.attempts == 1, "\(failed.error ?? "")")
        let entry = try Journal.wait(pid: daemon.pid) { $0.contains { $0["RETAIND_STATUS"] == "error" } }.first { $0["RETAIND_STATUS"] == "error" }!
        #expect(entry["RETAIND_RETRY_AT"] != nil && entry["MESSAGE"]?.contains("retrying after") == true)
        // The operator frees room: the next attempt restores it, and replaces the error row.
        #expect(try Self.run("/bin/mount", ["-o", "remount,size=64m", small]) == 0)
        let deadline = Date().addingTimeInterval(30)
        var rows: [CheckpointRecord] = []
        while Date() < deadline {
            rows = try daemon.rows().filter { $0.path == daemon.runs + "/checkpoint-1" }
            if rows.contains(where: { $0.status == .restored }) { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(rows.map(\.status) == [.restored], "\(rows.map { "\($0.status) attempts \($0.attempts)" })")
        #expect(rows.first?.attempts ?? 0 >= 2)
        try daemon.stop()
    }

    @Test func retry_redoesARejectedCheckpoint_inTheRunningDaemon() throws {
        let daemon = try DaemonHarness(name: "retrycmd")
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0))
        try daemon.start()
        try CheckpointMaker.raw(CheckpointMaker.file(header: "{\"x\": 1}"), into: daemon.staging + "/checkpoint-1")
        try daemon.moveIn("checkpoint-1")
        #expect(try daemon.waitForOutcomes(1).first?.status == .rejected)
        let path = daemon.runs + "/checkpoint-1"
        let retry = try RetaindProcess.run(["retry", path, "--config", daemon.configPath])
        let waited = try RetaindProcess.run(["wait", path, "--timeout", "30", "--json", "--config", daemon.configPath])
        #expect(waited.status == 12, "wait returns the new outcome: \(waited.stdout)")
        #expect(retry.status == 0, "\(retry.stderr)")
        #expect(retry.stdout.contains("told retaind (pid \(daemon.pid))"))
        try Journal.wait(pid: daemon.pid) { $0.filter { $0["RETAIND_STATUS"] == "rejected" }.count >= 2 }
        let rows = try daemon.rows().filter { $0.path == path }
        #expect(rows.count == 1 && rows.first?.attempts == 2 && rows.first?.retryAt == nil, "the new outcome replaces the old")
        try daemon.stop()
    }

    @Test func aSecondDaemon_onTheSameHistory_exitsNamingTheFirst() throws {
        let daemon = try DaemonHarness(name: "lock")
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0))
        try daemon.start()
        let second = try RetaindProcess.run(["run", "--config", daemon.configPath])
        #expect(second.status == 1)
        #expect(second.stderr.contains("another retaind (pid \(daemon.pid)) already uses the history \(daemon.database)"), "\(second.stderr)")
        // The first keeps serving.
        try CheckpointMaker.interpolated(0.2, into: daemon.staging + "/checkpoint-1")
        try daemon.moveIn("checkpoint-1")
        #expect(try daemon.waitForOutcomes(1).first?.status == .passed)
        #expect(try daemon.stop() == 0)
    }

    @Test func aDeletedDatabase_stopsTheDaemon_ratherThanWritingIntoTheVoid() throws {
        let daemon = try DaemonHarness(name: "deleted")
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0))
        try daemon.start()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: daemon.database + suffix) }
        try CheckpointMaker.interpolated(0.2, into: daemon.staging + "/checkpoint-1")
        try daemon.moveIn("checkpoint-1")
        let deadline = Date().addingTimeInterval(30)
        while daemon.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!daemon.isRunning)
        #expect(daemon.exitStatus == 1)
        let entries = try Journal.wait(pid: daemon.pid) { $0.contains { $0["MESSAGE"]?.contains("was deleted or replaced") == true } }
        #expect(entries.contains { $0["PRIORITY"] == "2" && $0["MESSAGE_ID"] == "a9f6ed3750744e598f83df8bd73247ec" })
    }

    @Test func wait_followsTheHistoryToItsNewFile_afterTheDaemonRestarts() throws {
        let daemon = try DaemonHarness(name: "refile")
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0))
        try daemon.start()
        let path = daemon.runs + "/checkpoint-1"
        let waiting = try GateEndToEndTests.Waiting([path, "--timeout", "60", "--config", daemon.configPath])
        Thread.sleep(forTimeInterval: 0.3)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: daemon.database + suffix) }
        try CheckpointMaker.interpolated(0.2, into: daemon.staging + "/checkpoint-1")
        try daemon.moveIn("checkpoint-1")
        let deadline = Date().addingTimeInterval(30)
        while daemon.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(daemon.exitStatus == 1, "the daemon stops on the deleted history")
        try daemon.start()  // as systemd would: a new history, the checkpoint processed there
        let result = try waiting.finish()
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        try daemon.stop()
    }

    @Test func fastRotation_50Saves_eachGetExactlyOneRow() throws {
        let daemon = try DaemonHarness(name: "rotation")
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], threshold: 1, settle: 0))
        try daemon.start()
        // A Trainer with save_total_limit = 2: save, then rmtree the oldest at once.
        try CheckpointMaker.interpolated(0.2, into: daemon.staging + "/template")
        let names = (0..<50).map { "checkpoint-\($0 * 10)" }
        for (i, name) in names.enumerated() {
            try FileManager.default.copyItem(atPath: daemon.staging + "/template", toPath: daemon.staging + "/" + name)
            try daemon.moveIn(name)
            if i >= 2 { try FileManager.default.removeItem(atPath: daemon.runs + "/" + names[i - 2]) }
        }
        let rows = try daemon.waitForOutcomes(names.count, timeout: 90)
        Thread.sleep(forTimeInterval: 1)  // nothing more may come
        let final = try daemon.rows()
        for name in names {
            let mine = final.filter { $0.path == daemon.runs + "/" + name }
            #expect(mine.count == 1, "\(name): \(mine.map(\.status))")
            #expect(mine.allSatisfy { $0.status == .passed || $0.status == .vanished })
        }
        #expect(final.count == rows.count)
        try daemon.stop()
    }

    @Test func aWatchedRootThatIsASymlink_isFollowedWhenRePointed() throws {
        let daemon = try DaemonHarness(name: "symlink")
        let a = daemon.directory + "/a", b = daemon.directory + "/b", link = daemon.directory + "/current"
        for dir in [a, b] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: a)
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [link], settle: 0, rescan: 1))
        try daemon.start()
        try CheckpointMaker.interpolated(0.2, into: b + "/checkpoint-1")
        try FileManager.default.createSymbolicLink(atPath: daemon.directory + "/next", withDestinationPath: b)
        #expect(rename(daemon.directory + "/next", link) == 0)
        let rows = try daemon.waitForOutcomes(1, timeout: 15)
        #expect(rows.first?.path == link + "/checkpoint-1")
        // And inotify follows the new target from then on.
        try CheckpointMaker.interpolated(0.2, into: daemon.staging + "/checkpoint-2")
        #expect(rename(daemon.staging + "/checkpoint-2", b + "/checkpoint-2") == 0)
        #expect(try daemon.waitForOutcomes(2, timeout: 15).contains { $0.path == link + "/checkpoint-2" })
        try daemon.stop()
    }

    @Test func names_withControlCharacters_cannotForgeRowsOrReachTheTerminal() throws {
        let daemon = try DaemonHarness(name: "names")
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0))
        try daemon.start()
        let evil = "checkpoint-1\n2026-01-01 00:00:00  passed  0.0001  0.001  -  runs  fake\u{1b}[2J"
        try CheckpointMaker.raw(CheckpointMaker.file(header: "{\"x\": 1}"), into: daemon.staging + "/evil")
        try daemon.moveIn("evil", to: daemon.runs + "/" + evil)
        let rows = try daemon.waitForOutcomes(1)
        #expect(rows.first?.path == daemon.runs + "/" + evil, "the history keeps the exact name")
        let table = try RetaindProcess.run(["history", "--config", daemon.configPath])
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.count == 2, "a header and one row: \(lines)")
        #expect(table.stdout.contains("checkpoint-1\\n2026-01-01") && table.stdout.contains("\\x1b[2J"))
        #expect(!table.stdout.contains("\u{1b}"))
        let json = try RetaindProcess.run(["history", "--json", "--config", daemon.configPath])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(parsed.first?["path"] as? String == daemon.runs + "/" + evil, "--json stays exact")
        try daemon.stop()
    }

    @Test func filesAreCreatedPrivate_whateverTheUmask() throws {
        let daemon = try DaemonHarness(name: "umask")
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0))
        let previous = umask(0o022)
        defer { umask(previous) }
        try daemon.start()
        try CheckpointMaker.interpolated(1.5, into: daemon.staging + "/checkpoint-1")
        try daemon.moveIn("checkpoint-1")
        let row = try #require(try daemon.waitForOutcomes(1).first)
        func mode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? -1) & 0o777
        }
        #expect(try mode(daemon.database) == 0o640)
        #expect(try mode(daemon.database + "-wal") == 0o640)
        #expect(try mode(row.restoredPath!) == 0o750)
        #expect(try mode(row.restoredPath! + "/model.safetensors") == 0o640)
        try daemon.stop()
    }

    @Test func checkConfig_reportsAHistoryThatIsNotADatabase() throws {
        let directory = NSTemporaryDirectory() + "retaind-notadb-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "this is not a database, it is a note\n".write(toFile: directory + "/h.sqlite", atomically: true, encoding: .utf8)
        let config = directory + "/retaind.toml"
        try "[store]\ndatabase = \"\(directory)/h.sqlite\"\n\(DaemonHarness.watch(name: "w", dirs: [directory]))"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let result = try RetaindProcess.run(["check-config", config])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(directory)/h.sqlite is not a retaind history database"), "\(result.stderr)")
    }
}
