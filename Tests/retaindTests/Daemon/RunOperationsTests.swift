import Foundation
import History
import Testing

/// `retaind run` as operators meet it: reloads, the watchdog, load, bad input.
@Suite(.serialized) struct RunOperationsTests {
    /// SIGHUP with a new watch starts watching it; a broken file keeps the old config.
    @Test func reloadAddsWatches_andKeepsTheOldConfigWhenTheNewOneIsBroken() throws {
        let daemon = try DaemonHarness(name: "reload")
        let second = daemon.directory + "/more-runs"
        try FileManager.default.createDirectory(atPath: second, withIntermediateDirectories: true)
        try daemon.writeConfig(DaemonHarness.watch(name: "first", dirs: [daemon.runs], settle: 0))
        try daemon.start()

        try daemon.writeConfig(DaemonHarness.watch(name: "first", dirs: [daemon.runs], settle: 0)
            + DaemonHarness.watch(name: "second", dirs: [second], settle: 0))
        var mark = daemon.notify.all.count
        kill(daemon.pid, SIGHUP)
        let reloading = try daemon.notify.wait(for: "RELOADING=1", after: mark)
        #expect(daemon.notify.all[reloading].text.contains("MONOTONIC_USEC="))
        try daemon.notify.wait(for: "READY=1", after: reloading)
        try CheckpointMaker.interpolated(0.1, into: daemon.staging + "/checkpoint-1")
        try daemon.moveIn("checkpoint-1", to: second + "/checkpoint-1")
        let rows = try daemon.waitForOutcomes(1)
        #expect(rows.first?.watch == "second")
        #expect(rows.first?.path == second + "/checkpoint-1")

        // A typo: refused with the key and line, and the running watches go on.
        let good = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
        let typoLine = good.split(separator: "\n", omittingEmptySubsequences: false).count + 1
        try (good + "\ntreshold = 3\n").write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        mark = daemon.notify.all.count
        kill(daemon.pid, SIGHUP)
        try daemon.notify.wait(for: "READY=1", after: mark)
        let refused = try Journal.wait(pid: daemon.pid) { entries in
            entries.contains { $0["MESSAGE_ID"] == "349d31b6097048a9834722cf7a888cf0" && $0["PRIORITY"] == "3" }
        }.first { $0["MESSAGE_ID"] == "349d31b6097048a9834722cf7a888cf0" && $0["PRIORITY"] == "3" }!
        #expect(refused["MESSAGE"]?.contains("treshold") == true)
        #expect(refused["RETAIND_ERROR"] == "\(daemon.configPath):\(typoLine): watch[1].gate.treshold: unknown key")
        try CheckpointMaker.interpolated(0.1, into: daemon.staging + "/checkpoint-2")
        try daemon.moveIn("checkpoint-2")
        #expect(try daemon.waitForOutcomes(2).contains { $0.path == daemon.runs + "/checkpoint-2" && $0.status == .passed })
        #expect(try daemon.stop() == 0)
    }

    /// WATCHDOG=1 keeps arriving within the interval while idle and while processing.
    @Test func watchdogIsFedWhileIdleAndWhileProcessing() throws {
        let daemon = try DaemonHarness(name: "watchdog")
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0))
        let interval = 0.6
        try daemon.start(watchdogMicroseconds: Int(interval * 1e6))
        let idleStart = Date()
        Thread.sleep(forTimeInterval: 3)
        for i in 0..<20 { try CheckpointMaker.interpolated(1.2 + Float(i) * 0.01, into: daemon.staging + "/checkpoint-\(i)") }
        let busyStart = Date()
        for i in 0..<20 { try daemon.moveIn("checkpoint-\(i)") }
        try daemon.waitForOutcomes(20)
        let busyEnd = Date()
        let pings = daemon.notify.all.filter { $0.text == "WATCHDOG=1" }.map(\.received)
        func maxGap(_ from: Date, _ to: Date) -> Double {
            let times = [from] + pings.filter { $0 > from && $0 < to } + [to]
            return zip(times, times.dropFirst()).map { $1.timeIntervalSince($0) }.max() ?? .infinity
        }
        #expect(pings.filter { $0 > idleStart && $0 < busyStart }.count >= 5)
        #expect(maxGap(idleStart, busyStart) < interval, "idle")
        #expect(maxGap(busyStart, busyEnd) < interval, "processing")
        try daemon.stop()
    }

    /// 200 checkpoints at once: each processed exactly once, memory bounded; 10 000
    /// unrelated files do not slow detection.
    @Test func twoHundredCheckpointsAtOnce_andTenThousandUnrelatedFiles() throws {
        let daemon = try DaemonHarness(name: "load")
        // Unrelated files in the watched root: logs, and a run directory full of them.
        let noise = daemon.runs + "/logs"
        try FileManager.default.createDirectory(atPath: noise, withIntermediateDirectories: true)
        for i in 0..<5_000 { FileManager.default.createFile(atPath: daemon.runs + "/event-\(i).log", contents: Data("x".utf8)) }
        for i in 0..<5_000 { FileManager.default.createFile(atPath: noise + "/\(i).txt", contents: nil) }
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0, rescan: 5))
        try daemon.start()

        // Detection latency: renamed in → journal entry, less the processing time.
        try CheckpointMaker.interpolated(0.1, into: daemon.staging + "/checkpoint-first")
        let movedAt = Date()
        try daemon.moveIn("checkpoint-first")
        let entry = try Journal.wait(pid: daemon.pid) { $0.contains { $0["RETAIND_STATUS"] != nil } }.first { $0["RETAIND_STATUS"] != nil }!
        let loggedAt = Date(timeIntervalSince1970: Double(entry["_SOURCE_REALTIME_TIMESTAMP"] ?? entry["__REALTIME_TIMESTAMP"]!)! / 1e6)
        let latency = loggedAt.timeIntervalSince(movedAt) - Double(entry["RETAIND_SECONDS"] ?? "0")!
        print("detection latency with 10 000 unrelated files: \(String(format: "%.3f", latency)) s")
        #expect(latency < 1.0)

        let names = (0..<200).map { "checkpoint-\($0)" }
        for (i, name) in names.enumerated() { try CheckpointMaker.interpolated(0.001 * Float(i + 1), into: daemon.staging + "/" + name) }
        for name in names { try daemon.moveIn(name) }
        let rows = try daemon.waitForOutcomes(201, timeout: 240)
        Thread.sleep(forTimeInterval: 1)
        let final = try daemon.rows()
        #expect(final.count == 201)
        #expect(Set(final.map(\.path)).count == 201)
        #expect(final.allSatisfy { $0.status == .passed })
        let status = try String(contentsOfFile: "/proc/\(daemon.pid)/status", encoding: .utf8)
        let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
        print("peak RSS after 201 checkpoints: \(peak / 1024) MiB")
        #expect(peak < 400 * 1024, "peak RSS \(peak) KiB")
        _ = rows
        try daemon.stop()
    }

    /// Every kind of broken checkpoint is rejected with its reason and a PRIORITY=3
    /// entry, and the daemon goes on serving.
    @Test func malformedCheckpointsAreRejectedAndTheDaemonGoesOn() throws {
        let daemon = try DaemonHarness(name: "malformed")
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0, stalled: 2))
        try daemon.start()
        let s = daemon.staging
        let f = CheckpointMaker.self
        let outside = daemon.directory + "/outside.safetensors"
        try FileManager.default.copyItem(atPath: DaemonHarness.fixtures + "base/model.safetensors", toPath: outside)
        // (name, expected words in the reason, builder)
        let cases: [(String, String, () throws -> Void)] = [
            ("tiny-file", "", { try f.raw([1, 2, 3], into: s + "/tiny-file") }),
            ("header-beyond-file", "", { try f.raw(withUnsafeBytes(of: UInt64(1000).littleEndian, Array.init) + Array("{}".utf8), into: s + "/header-beyond-file") }),
            ("header-too-large", "", { try f.raw(withUnsafeBytes(of: UInt64(200_000_000).littleEndian, Array.init) + [UInt8](repeating: 32, count: 64), into: s + "/header-too-large") }),
            ("invalid-json", "", { try f.raw(f.file(header: "{\"a\": [1, 2"), into: s + "/invalid-json") }),
            ("unknown-dtype", "", { try f.raw(f.file(header: #"{"w":{"dtype":"Q9","shape":[2],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)), into: s + "/unknown-dtype") }),
            ("offsets-overlap", "", { try f.raw(f.file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: [UInt8](repeating: 0, count: 12)), into: s + "/offsets-overlap") }),
            ("shape-size-mismatch", "", { try f.raw(f.file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)), into: s + "/shape-size-mismatch") }),
            ("duplicate-tensor", "", { try f.raw(f.file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: [UInt8](repeating: 0, count: 8)), into: s + "/duplicate-tensor") }),
            ("truncated", "", {
                let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: DaemonHarness.fixtures + "base/model.safetensors")))
                try f.raw(Array(bytes.prefix(bytes.count - 100)), into: s + "/truncated")
            }),
            ("shard-escapes", "", {
                try FileManager.default.createDirectory(atPath: s + "/shard-escapes", withIntermediateDirectories: true)
                try #"{"metadata":{},"weight_map":{"model.embed_tokens.weight":"../../outside.safetensors"}}"#
                    .write(toFile: s + "/shard-escapes/model.safetensors.index.json", atomically: true, encoding: .utf8)
                try FileManager.default.copyItem(atPath: DaemonHarness.fixtures + "base/config.json", toPath: s + "/shard-escapes/config.json")
            }),
            ("shard-absolute", "", {
                try FileManager.default.createDirectory(atPath: s + "/shard-absolute", withIntermediateDirectories: true)
                try "{\"weight_map\":{\"model.embed_tokens.weight\":\"\(outside)\"}}"
                    .write(toFile: s + "/shard-absolute/model.safetensors.index.json", atomically: true, encoding: .utf8)
                try FileManager.default.copyItem(atPath: DaemonHarness.fixtures + "base/config.json", toPath: s + "/shard-absolute/config.json")
            }),
            ("symlink-out", "", {
                try FileManager.default.createDirectory(atPath: s + "/symlink-out", withIntermediateDirectories: true)
                try FileManager.default.createSymbolicLink(atPath: s + "/symlink-out/model.safetensors", withDestinationPath: outside)
                try FileManager.default.copyItem(atPath: DaemonHarness.fixtures + "base/config.json", toPath: s + "/symlink-out/config.json")
            }),
            ("missing-tensor", "", { try f.edited(into: s + "/missing-tensor") { $0.removeLast() } }),
            ("renamed-tensor", "", { try f.edited(into: s + "/renamed-tensor") { $0[0].0 = "model.not_in_base.weight" } }),
            ("shape-mismatch", "", { try f.edited(into: s + "/shape-mismatch") { t in
                let i = t.firstIndex { $0.1.count == 2 }!
                t[i].1 = [t[i].1[1], t[i].1[0]]
            } }),
            ("nan", "", { try f.edited(into: s + "/nan") { $0[$0.count / 2].2[3] = .nan } }),
            ("inf", "", { try f.edited(into: s + "/inf") { $0[1].2[0] = -.infinity } }),
        ]
        for (name, _, build) in cases {
            try build()
            try daemon.moveIn(name, to: daemon.runs + "/checkpoint-" + name)
        }
        let rows = try daemon.waitForOutcomes(cases.count, timeout: 60)
        for (name, _, _) in cases {
            let row = rows.first { $0.path == daemon.runs + "/checkpoint-" + name }
            #expect(row?.status == .rejected, "\(name): \(row?.status.rawValue ?? "no row") \(row?.error ?? "")")
            #expect(row?.error?.isEmpty == false, "\(name) has no reason")
        }
        let entries = try Journal.wait(pid: daemon.pid) { $0.filter { $0["RETAIND_STATUS"] == "rejected" }.count >= cases.count }
        let rejected = entries.filter { $0["RETAIND_STATUS"] == "rejected" }
        #expect(rejected.count == cases.count)
        #expect(rejected.allSatisfy { $0["PRIORITY"] == "3" && $0["MESSAGE_ID"] == "36edc47f69114067a6aaa42e4abddc01" })

        // Still serving.
        try CheckpointMaker.interpolated(0.2, into: s + "/good")
        try daemon.moveIn("good", to: daemon.runs + "/checkpoint-good")
        #expect(try daemon.waitForOutcomes(cases.count + 1).contains { $0.path.hasSuffix("checkpoint-good") && $0.status == .passed })
        #expect(try daemon.stop() == 0)
    }

    /// Checkpoints deleted while queued (trainer rotation) are recorded `vanished`, with a
    /// PRIORITY=5 entry, and the others go on.
    @Test func checkpointsDeletedWhileQueued_areRecordedVanished() throws {
        let daemon = try DaemonHarness(name: "vanished")
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0))
        try daemon.start()
        let names = (0..<40).map { "checkpoint-\($0)" }
        for (i, name) in names.enumerated() { try CheckpointMaker.interpolated(1.2 + Float(i) * 0.01, into: daemon.staging + "/" + name) }
        for name in names { try daemon.moveIn(name) }
        // Once the watcher has queued all of them (its debug entries say so), rotate the
        // last five away; those not processed by then must end `vanished`.
        try Journal.wait(pid: daemon.pid) { $0.filter { $0["MESSAGE"] == "checkpoint complete" }.count >= names.count }
        let rotated = names.suffix(5)
        for name in rotated { try FileManager.default.removeItem(atPath: daemon.runs + "/" + name) }
        let doneBefore = Set(try daemon.rows().filter { $0.status != .processing }.map(\.path))
        let rows = try daemon.waitForOutcomes(names.count)
        var vanished = 0
        for name in rotated where !doneBefore.contains(daemon.runs + "/" + name) {
            let mine = rows.filter { $0.path == daemon.runs + "/" + name }
            #expect(mine.count == 1 && mine.first?.status == .vanished, "\(name): \(mine.map(\.status))")
            vanished += 1
        }
        #expect(vanished > 0, "every rotated checkpoint was processed before it was deleted")
        #expect(rows.filter { $0.status == .restored }.count == names.count - vanished)
        let entries = try Journal.wait(pid: daemon.pid) { $0.filter { $0["RETAIND_STATUS"] == "vanished" }.count >= vanished }
        #expect(entries.filter { $0["RETAIND_STATUS"] == "vanished" }.allSatisfy {
            $0["PRIORITY"] == "5" && $0["MESSAGE_ID"] == "a9a5407961a045529de4772e45ecd842"
        })
        try daemon.stop()
    }

    /// A watch whose profile names another base is disabled with the reason; a watch
    /// without a forget profile runs with a warning; the others run.
    @Test func watchWithAnotherBasesProfile_isDisabled_othersRun() throws {
        let daemon = try DaemonHarness(name: "disabled")
        let other = daemon.directory + "/other-runs"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        // cand-full as the "base": the retain profile names the real base's fingerprint.
        let wrongBase = DaemonHarness.watch(name: "wrong", dirs: [other], settle: 0)
            .replacingOccurrences(of: "tiny-llama/base\"", with: "tiny-llama/cand-full\"")
        let noForget = DaemonHarness.watch(name: "good", dirs: [daemon.runs], settle: 0)
            .split(separator: "\n").filter { !$0.hasPrefix("forget_profile") }.joined(separator: "\n") + "\n"
        try daemon.writeConfig(wrongBase + noForget)
        try daemon.start()
        let ready = try #require(daemon.notify.all.last { $0.text.contains("READY=1") })
        #expect(ready.text.contains("STATUS=watching 1 of 2 watches (good)"))
        let entries = try Journal.wait(pid: daemon.pid) { entries in
            entries.contains { $0["RETAIND_WATCH"] == "wrong" && $0["PRIORITY"] == "3" }
                && entries.contains { $0["RETAIND_WATCH"] == "good" && $0["PRIORITY"] == "4" }
        }
        let disabled = try #require(entries.first { $0["RETAIND_WATCH"] == "wrong" && $0["PRIORITY"] == "3" })
        #expect(disabled["MESSAGE_ID"] == "a9f6ed3750744e598f83df8bd73247ec")
        #expect(disabled["MESSAGE"]?.contains("watch “wrong” disabled: retain profile") == true)
        #expect(disabled["MESSAGE"]?.contains("capture it again on this base") == true)
        let warning = try #require(entries.first { $0["RETAIND_WATCH"] == "good" && $0["PRIORITY"] == "4" })
        #expect(warning["MESSAGE_ID"] == "0469c33aa8ef4ee0894960bc34d12e13")
        #expect(warning["MESSAGE"]?.contains("no forget_profile") == true)

        try CheckpointMaker.interpolated(0.2, into: daemon.staging + "/checkpoint-1")
        try daemon.moveIn("checkpoint-1")
        try CheckpointMaker.interpolated(0.2, into: daemon.staging + "/checkpoint-2")
        try daemon.moveIn("checkpoint-2", to: other + "/checkpoint-2")
        let rows = try daemon.waitForOutcomes(1)
        Thread.sleep(forTimeInterval: 1)
        #expect(try daemon.rows().map(\.watch) == ["good"])
        _ = rows
        try daemon.stop()
    }

    /// With no journal socket (a developer's shell), entries go to stderr.
    @Test(.enabled(if: getuid() == 0, "needs root to unshare a mount namespace"))
    func withoutAJournal_entriesGoToStderr() throws {
        let directory = NSTemporaryDirectory() + "retaind-nojournal-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "[store]\ndatabase = \"/proc/forbidden/h.sqlite\"\n\(DaemonHarness.watch(name: "w", dirs: [directory]))"
            .write(toFile: directory + "/retaind.toml", atomically: true, encoding: .utf8)
        // A mount namespace where /run/systemd/journal is an empty tmpfs.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["-m", "sh", "-c", "mount -t tmpfs none /run/systemd/journal && exec \"$0\" run --config \"$1\"",
                             RetaindProcess.executable, directory + "/retaind.toml"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(!stderr.contains("mount:"), "needs root to unshare a mount namespace: \(stderr)")
        #expect(process.terminationStatus == 1)
        #expect(stderr.contains("<2>retaind cannot run: history database /proc/forbidden/h.sqlite: cannot create /proc/forbidden: No such file or directory"), "\(stderr)")
        #expect(stderr.contains("message_id=a9f6ed3750744e598f83df8bd73247ec"))
    }

    /// An output root that fills up: the checkpoint is recorded `error` with the reason
    /// and a PRIORITY=3 entry, nothing partial is left, and the next checkpoint is served.
    @Test(.enabled(if: getuid() == 0, "needs root to mount a small tmpfs"))
    func fullOutputDisk_isAnErrorOutcome_notAPartialOutput() throws {
        let daemon = try DaemonHarness(name: "full-disk")
        let small = daemon.directory + "/small"
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        // A 64 KiB filesystem: smaller than one restored tiny checkpoint (≈ 95 KB).
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=64k", "tmpfs", small]
        try mount.run()
        mount.waitUntilExit()
        try #require(mount.terminationStatus == 0, "needs root to mount a tmpfs")
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [small]
            try? umount.run()
            umount.waitUntilExit()
        }
        try """
            [store]
            database = "\(daemon.database)"
            output_root = "\(small)"

            \(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0))
            """.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        try daemon.start()
        try CheckpointMaker.interpolated(1.5, into: daemon.staging + "/checkpoint-1")
        try daemon.moveIn("checkpoint-1")
        let row = try #require(try daemon.waitForOutcomes(1).first)
        #expect(row.status == .error)
        #expect(row.error?.contains("No space left on device") == true, "\(row.error ?? "")")
        #expect(row.drift != nil, "the drift was measured before the write failed")
        // Nothing at the destination, and no temporary either.
        let leftovers = (FileManager.default.enumerator(atPath: small)?.allObjects as? [String] ?? []).filter { $0.contains("checkpoint-1") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        let entry = try Journal.wait(pid: daemon.pid) { $0.contains { $0["RETAIND_STATUS"] == "error" } }.first { $0["RETAIND_STATUS"] == "error" }!
        #expect(entry["PRIORITY"] == "3" && entry["MESSAGE_ID"] == "a9f6ed3750744e598f83df8bd73247ec")

        try CheckpointMaker.interpolated(0.1, into: daemon.staging + "/checkpoint-2")
        try daemon.moveIn("checkpoint-2")
        #expect(try daemon.waitForOutcomes(2).contains { $0.path.hasSuffix("checkpoint-2") && $0.status == .passed })
        try daemon.stop()
    }

    /// A watched directory that does not exist at start draws a warning and is found by
    /// the periodic rescan once created, with its checkpoints.
    @Test func missingWatchedDirectory_isPickedUpByTheRescan() throws {
        let daemon = try DaemonHarness(name: "rescan")
        let later = daemon.directory + "/later"
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [later], settle: 0, rescan: 1))
        try daemon.start()
        let warning = try Journal.wait(pid: daemon.pid) { $0.contains { $0["RETAIND_DIR"] == later } }.first { $0["RETAIND_DIR"] == later }!
        #expect(warning["MESSAGE_ID"] == "0469c33aa8ef4ee0894960bc34d12e13" && warning["PRIORITY"] == "4")
        // Created after start, with a checkpoint already inside (no inotify watch on it yet).
        try FileManager.default.createDirectory(atPath: daemon.staging + "/later", withIntermediateDirectories: true)
        try CheckpointMaker.interpolated(0.2, into: daemon.staging + "/later/checkpoint-1")
        #expect(rename(daemon.staging + "/later", later) == 0)
        let rows = try daemon.waitForOutcomes(1, timeout: 10)
        #expect(rows.first?.path == later + "/checkpoint-1")
        try daemon.stop()
    }
}
