import Foundation
import History
import Testing

/// `retaind run` end to end: real inotify, SQLite, journald and NOTIFY_SOCKET.
@Suite(.serialized) struct RunEndToEndTests {
    /// Every kind of arrival, each with exactly one history row and one journal entry.
    @Test func everyCheckpointGetsOneOutcomeRowAndOneJournalEntry() throws {
        let daemon = try DaemonHarness(name: "e2e")
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], threshold: 0.001, settle: 1, stalled: 3))
        try daemon.start(watchdogMicroseconds: 2_000_000)
        let runs = daemon.runs

        // Renamed in atomically: one that passes, one over threshold, a LoRA adapter, a
        // corrupt header.
        try CheckpointMaker.interpolated(0.25, into: daemon.staging + "/checkpoint-10")
        try CheckpointMaker.copy("cand-full", into: daemon.staging + "/checkpoint-20")
        try CheckpointMaker.copy("cand-lora", into: daemon.staging + "/checkpoint-30")
        try CheckpointMaker.raw(CheckpointMaker.file(header: #"{"a": 1}"#), into: daemon.staging + "/checkpoint-40")
        for name in ["checkpoint-10", "checkpoint-20", "checkpoint-30", "checkpoint-40"] { try daemon.moveIn(name) }
        // A directory that never gets weights is not a candidate.
        try FileManager.default.createDirectory(atPath: runs + "/checkpoint-50/evals", withIntermediateDirectories: true)

        // Written slowly in place, file by file over several seconds: processed only once complete.
        try CheckpointMaker.interpolated(0.5, into: daemon.staging + "/slow")
        let full = try Data(contentsOf: URL(fileURLWithPath: daemon.staging + "/slow/model.safetensors"))
        let slow = runs + "/checkpoint-60"
        try FileManager.default.createDirectory(atPath: slow, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: daemon.staging + "/slow/config.json", toPath: slow + "/config.json")
        FileManager.default.createFile(atPath: slow + "/model.safetensors", contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: slow + "/model.safetensors"))
        let chunk = full.count / 4 + 1
        for start in stride(from: 0, to: full.count, by: chunk) {
            #expect(try daemon.rows().allSatisfy { $0.path != slow }, "the slow checkpoint was picked up before it was complete")
            try handle.write(contentsOf: full[start..<min(start + chunk, full.count)])
            Thread.sleep(forTimeInterval: 1.2)
        }
        try handle.close()

        let rows = try daemon.waitForOutcomes(5)
        Thread.sleep(forTimeInterval: 1.5)
        let final = try daemon.rows()
        #expect(final.count == 5, "\(final.map { "\($0.path) \($0.status)" })")
        func row(_ name: String) throws -> CheckpointRecord { try #require(final.first { $0.path == runs + "/" + name }, "no row for \(name)") }
        #expect(try row("checkpoint-10").status == .passed)
        #expect(try row("checkpoint-20").status == .restored)
        #expect(try row("checkpoint-30").status == .restored)
        #expect(try row("checkpoint-40").status == .rejected)
        #expect(try row("checkpoint-60").status == .passed)
        #expect(try row("checkpoint-40").error?.contains("model.safetensors") == true)
        _ = rows

        // The restored full checkpoint: provenance, and a drift (measured again by the
        // one-off command on what was written) equal to the recorded, lower drift_after.
        let restored = try row("checkpoint-20")
        let output = try #require(restored.restoredPath)
        #expect(output.hasPrefix(daemon.outputRoot + "/runs/runs/checkpoint-20"))
        #expect(FileManager.default.fileExists(atPath: output + "/retaind.json"))
        let measured = try RetaindProcess.run(["drift", "--base", DaemonHarness.fixtures + "base", "--candidate", output,
                                               "--profile", DaemonHarness.fixtures + "retain.profile.safetensors", "--json"])
        let drift = try #require((try JSONSerialization.jsonObject(with: Data(measured.stdout.utf8)) as? [String: Any])?["drift"] as? Double)
        #expect(abs(drift - restored.driftAfter!) <= 1e-6 * max(drift, 1e-12) + 1e-9)
        #expect(restored.driftAfter! < restored.drift!)
        #expect(FileManager.default.fileExists(atPath: try #require(try row("checkpoint-30").restoredPath) + "/adapter_model.safetensors"))

        // One journal entry per outcome, with its MESSAGE_ID, PRIORITY and fields.
        let pid = daemon.pid
        // Outcome entries carry RETAIND_STATUS; debug entries about a checkpoint do not.
        let entries = try Journal.wait(pid: pid) { entries in entries.filter { $0["RETAIND_STATUS"] != nil }.count >= 5 }
            .filter { $0["RETAIND_STATUS"] != nil }
        let expected: [(String, String, String)] = [
            ("checkpoint-10", "717891c8273f4ff18e33677fa7021471", "6"),
            ("checkpoint-20", "15566e7415ab4e43ad3972e3cd21270c", "4"),
            ("checkpoint-30", "15566e7415ab4e43ad3972e3cd21270c", "4"),
            ("checkpoint-40", "36edc47f69114067a6aaa42e4abddc01", "3"),
            ("checkpoint-60", "717891c8273f4ff18e33677fa7021471", "6"),
        ]
        for (name, messageID, priority) in expected {
            let mine = entries.filter { $0["RETAIND_CHECKPOINT"] == runs + "/" + name }
            #expect(mine.count == 1, "\(name): \(mine.count) entries")
            guard let entry = mine.first else { continue }
            #expect(entry["MESSAGE_ID"] == messageID, "\(name)")
            #expect(entry["PRIORITY"] == priority, "\(name)")
            #expect(entry["SYSLOG_IDENTIFIER"] == "retaind")
            #expect(entry["RETAIND_WATCH"] == "runs")
        }
        let restoredEntry = try #require(entries.first { $0["RETAIND_CHECKPOINT"] == runs + "/checkpoint-20" })
        for field in ["RETAIND_FINGERPRINT", "RETAIND_DRIFT", "RETAIND_DRIFT_MAX", "RETAIND_DRIFT_MAX_MODULE", "RETAIND_THRESHOLD",
                      "RETAIND_RESTORED_PATH", "RETAIND_DRIFT_AFTER", "RETAIND_FORGET_KEPT"] {
            #expect(restoredEntry[field] != nil, "restored entry lacks \(field)")
        }
        #expect(restoredEntry["RETAIND_FINGERPRINT"] == restored.fingerprint)
        #expect(Double(restoredEntry["RETAIND_DRIFT"] ?? "") == restored.drift)
        #expect(entries.first { $0["RETAIND_CHECKPOINT"] == runs + "/checkpoint-40" }?["RETAIND_ERROR"]?.isEmpty == false)
        #expect(entries.allSatisfy { $0["RETAIND_CHECKPOINT"] != runs + "/checkpoint-50" })

        // SIGTERM: STOPPING=1 and a clean exit.
        let before = daemon.notify.all.count
        #expect(try daemon.stop(SIGTERM) == 0)
        try daemon.notify.wait(for: "STOPPING=1", after: before, timeout: 5)
    }

    /// A restart reprocesses nothing; a checkpoint overwritten in place is processed again.
    @Test func restartSkipsWhatIsDone_overwrittenInPlaceIsProcessedAgain() throws {
        let daemon = try DaemonHarness(name: "restart")
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0.5))
        try daemon.start()
        try CheckpointMaker.interpolated(0.2, into: daemon.staging + "/checkpoint-1")
        try CheckpointMaker.interpolated(1.5, into: daemon.staging + "/checkpoint-2")
        try daemon.moveIn("checkpoint-1")
        try daemon.moveIn("checkpoint-2")
        try daemon.waitForOutcomes(2)
        #expect(try daemon.stop() == 0)

        try daemon.start()
        let second = daemon.pid
        Thread.sleep(forTimeInterval: 3)
        #expect(try daemon.rows().count == 2)
        #expect(Journal.entries(pid: second).allSatisfy { $0["RETAIND_STATUS"] == nil }, "a restart reprocessed a checkpoint")

        // Overwritten in place with other weights: a new outcome for the new fingerprint.
        let path = daemon.runs + "/checkpoint-1"
        try CheckpointMaker.interpolated(0.3, into: daemon.staging + "/replacement")
        #expect(rename(daemon.staging + "/replacement/model.safetensors", path + "/model.safetensors") == 0)
        let rows = try daemon.waitForOutcomes(3)
        let versions = rows.filter { $0.path == path }
        #expect(versions.count == 2)
        #expect(Set(versions.compactMap(\.fingerprint)).count == 2)
        try daemon.stop()
    }

    /// SIGKILL mid-processing, restart: no partial output, every checkpoint once.
    @Test func sigkillWhileProcessing_restartProcessesEachCheckpointOnce() throws {
        let daemon = try DaemonHarness(name: "crash")
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0))
        try daemon.start()
        let names = (0..<16).map { "checkpoint-\($0)" }
        for (i, name) in names.enumerated() {
            try CheckpointMaker.interpolated(1.2 + Float(i) * 0.05, into: daemon.staging + "/" + name)
        }
        for name in names { try daemon.moveIn(name) }
        // Kill once some restores are done and others are not.
        let deadline = Date().addingTimeInterval(60)
        while try daemon.rows().filter({ $0.status == .restored }).count < 3, Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        try daemon.stop(SIGKILL)
        let atKill = try daemon.rows()
        #expect(atKill.filter { $0.status != .processing }.count < names.count, "everything finished before the kill")

        try daemon.start()
        let rows = try daemon.waitForOutcomes(names.count)
        Thread.sleep(forTimeInterval: 1)
        let final = try daemon.rows()
        for name in names {
            let mine = final.filter { $0.path == daemon.runs + "/" + name }
            #expect(mine.count == 1 && mine.first?.status == .restored, "\(name): \(mine.map(\.status))")
        }
        #expect(!final.contains { $0.status == .processing })
        // Outputs: exactly one complete directory per checkpoint, no temporaries.
        let outputs = try FileManager.default.contentsOfDirectory(atPath: daemon.outputRoot + "/runs/runs")
        #expect(outputs.sorted() == names.sorted(), "\(outputs)")
        for name in outputs { #expect(FileManager.default.fileExists(atPath: daemon.outputRoot + "/runs/runs/\(name)/retaind.json")) }
        _ = rows
        try daemon.stop()
    }

    /// The Trainer writes weights, then optimizer state, then trainer_state.json: the
    /// checkpoint waits for the marker, also when only its siblings show the run writes one.
    @Test func trainerCheckpoints_waitForTrainerState() throws {
        let daemon = try DaemonHarness(name: "trainer")
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0.5))
        try daemon.start()
        let first = daemon.runs + "/checkpoint-100"
        try CheckpointMaker.interpolated(0.1, into: first)
        FileManager.default.createFile(atPath: first + "/optimizer.pt", contents: Data(count: 4096))
        Thread.sleep(forTimeInterval: 2.5)
        #expect(try daemon.rows().isEmpty, "processed before trainer_state.json")
        FileManager.default.createFile(atPath: first + "/trainer_state.json", contents: Data("{}".utf8))
        try daemon.waitForOutcomes(1, timeout: 10)

        // No Trainer files of its own yet, but its sibling has trainer_state.json.
        let second = daemon.runs + "/checkpoint-200"
        try CheckpointMaker.interpolated(0.2, into: second)
        Thread.sleep(forTimeInterval: 2.5)
        #expect(try daemon.rows().count == 1, "processed before trainer_state.json")
        FileManager.default.createFile(atPath: second + "/trainer_state.json", contents: Data("{}".utf8))
        let rows = try daemon.waitForOutcomes(2, timeout: 10)
        #expect(rows.allSatisfy { $0.status == .passed })
        try daemon.stop()
    }

    /// SIGTERM while restoring: STOPPING=1, exit 0, no partial output, nothing left
    /// `processing`; a restart finishes the rest.
    @Test func sigtermWhileProcessing_stopsCleanly() throws {
        let daemon = try DaemonHarness(name: "sigterm")
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0))
        try daemon.start()
        let names = (0..<16).map { "checkpoint-\($0)" }
        for (i, name) in names.enumerated() { try CheckpointMaker.interpolated(1.2 + Float(i) * 0.05, into: daemon.staging + "/" + name) }
        for name in names { try daemon.moveIn(name) }
        try daemon.waitForOutcomes(1)
        let mark = daemon.notify.all.count
        #expect(try daemon.stop(SIGTERM) == 0)
        try daemon.notify.wait(for: "STOPPING=1", after: mark, timeout: 1)
        let rows = try daemon.rows()
        #expect(!rows.contains { $0.status == .processing })
        #expect(rows.count < names.count, "everything finished before SIGTERM")
        let outputs = try FileManager.default.contentsOfDirectory(atPath: daemon.outputRoot + "/runs/runs")
        #expect(outputs.sorted() == rows.map { ($0.path as NSString).lastPathComponent }.sorted(), "only complete outputs, no temporaries")

        try daemon.start()
        try daemon.waitForOutcomes(names.count)
        #expect(Set(try daemon.rows().map(\.path)).count == names.count)
        #expect(daemon.notify.all.contains { $0.text.hasPrefix("STATUS=processing \(daemon.runs)/checkpoint-") })
        try daemon.stop()
    }

    /// `[watch.verify]`: after a restore, retain and forget perplexity of candidate and
    /// restored checkpoint in the history and the journal, equal to `retaind eval`'s.
    @Test func verify_recordsPerplexitiesBeforeAndAfter() throws {
        let daemon = try DaemonHarness(name: "verify")
        let f = DaemonHarness.fixtures
        // Retain data: the sequences transformers scored in tools/fixtures/make_llama_forward.py,
        // so the base's perplexity has an independent reference.
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: f + "../llama-forward/expected.json"))) as? [String: Any])
        let sequences = try #require(expected["sequences"] as? [[Int]])
        let transformersBasePPL = try #require((expected["perplexity"] as? [String: Double])?["tiny-llama"])
        let retainData = daemon.directory + "/retain.eval.jsonl"
        try sequences.map { "{\"ids\": \($0)}" }.joined(separator: "\n").write(toFile: retainData, atomically: true, encoding: .utf8)
        let verify = "[watch.verify]\nretain_eval = \"\(retainData)\"\nforget_eval = \"\(f)forget.jsonl\"\n"
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0, extra: verify))
        try daemon.start()
        try CheckpointMaker.copy("cand-full", into: daemon.staging + "/checkpoint-1")
        try daemon.moveIn("checkpoint-1")
        let row = try #require(try daemon.waitForOutcomes(1).first)
        #expect(row.status == .restored)
        #expect(row.verifyError == nil, "\(row.verifyError ?? "")")
        func eval(_ model: String, _ data: String) throws -> Double {
            let result = try RetaindProcess.run(["eval", "--model", model, "--data", data, "--json"])
            return try #require((try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["ppl"] as? Double)
        }
        let restored = try #require(row.restoredPath)
        // Equal up to BLAS summation order (the daemon leaves a core to hashing).
        func same(_ a: Double?, _ b: Double) -> Bool { a.map { abs($0 - b) <= 1e-6 * b } ?? false }
        let basePPL = try #require(row.retainPPLBase)
        #expect(abs(basePPL - transformersBasePPL) / transformersBasePPL < 1e-4, "base: \(basePPL) vs transformers \(transformersBasePPL)")
        #expect(same(row.retainPPLBefore, try eval(row.path, retainData)))
        #expect(same(row.retainPPLAfter, try eval(restored, retainData)))
        #expect(same(row.forgetPPLBefore, try eval(row.path, f + "forget.jsonl")))
        #expect(same(row.forgetPPLAfter, try eval(restored, f + "forget.jsonl")))
        let entry = try Journal.wait(pid: daemon.pid) { $0.contains { $0["RETAIND_STATUS"] == "restored" } }.first { $0["RETAIND_STATUS"] == "restored" }!
        for field in ["RETAIND_RETAIN_PPL_BEFORE", "RETAIND_RETAIN_PPL_AFTER", "RETAIND_FORGET_PPL_BEFORE", "RETAIND_FORGET_PPL_AFTER"] {
            #expect(entry[field] != nil, "no \(field)")
        }
        // PRIORITY 3 exactly when the restore did not bring retain perplexity down.
        let improved = row.retainPPLAfter! < row.retainPPLBefore!
        #expect(entry["PRIORITY"] == (improved ? "4" : "3"))

        // A LoRA candidate and its restored adapter are evaluated on the base.
        try CheckpointMaker.copy("cand-lora", into: daemon.staging + "/checkpoint-2")
        try daemon.moveIn("checkpoint-2")
        let lora = try #require(try daemon.waitForOutcomes(2).first { $0.path.hasSuffix("checkpoint-2") })
        #expect(lora.status == .restored && lora.verifyError == nil, "\(lora.verifyError ?? "")")
        let evaluated = try RetaindProcess.run(["eval", "--model", lora.path, "--base", f + "base", "--data", retainData, "--json"])
        let want = try #require((try JSONSerialization.jsonObject(with: Data(evaluated.stdout.utf8)) as? [String: Any])?["ppl"] as? Double)
        #expect(same(lora.retainPPLBefore, want))
        #expect(lora.retainPPLAfter != nil && lora.forgetPPLAfter != nil)
        try daemon.stop()
    }

    /// `gate.retain_ppl_ratio` gates on measured damage instead of drift.
    @Test func retainPerplexityGate_decidesInsteadOfDrift() throws {
        let daemon = try DaemonHarness(name: "ppl-gate")
        let f = DaemonHarness.fixtures
        let verify = "[watch.verify]\nretain_eval = \"\(f)retain.jsonl\"\n"
        // Drift threshold 1.0 would pass everything, 1e-12 restore everything: the ratio decides.
        let lenient = DaemonHarness.watch(name: "lenient", dirs: [daemon.runs + "/a"], threshold: 1e-12, settle: 0, extra: verify)
            .replacingOccurrences(of: "threshold = 1e-12", with: "threshold = 1e-12\nretain_ppl_ratio = 2.0")
        let strict = DaemonHarness.watch(name: "strict", dirs: [daemon.runs + "/b"], threshold: 1.0, settle: 0, extra: verify)
            .replacingOccurrences(of: "threshold = 1.0", with: "threshold = 1.0\nretain_ppl_ratio = 0.5")
        for dir in ["a", "b"] { try FileManager.default.createDirectory(atPath: daemon.runs + "/" + dir, withIntermediateDirectories: true) }
        try daemon.writeConfig(lenient + strict)
        try daemon.start()
        try CheckpointMaker.copy("cand-full", into: daemon.staging + "/checkpoint-1")
        try daemon.moveIn("checkpoint-1", to: daemon.runs + "/a/checkpoint-1")
        try CheckpointMaker.copy("cand-full", into: daemon.staging + "/checkpoint-2")
        try daemon.moveIn("checkpoint-2", to: daemon.runs + "/b/checkpoint-2")
        let rows = try daemon.waitForOutcomes(2)
        let a = try #require(rows.first { $0.watch == "lenient" })
        let b = try #require(rows.first { $0.watch == "strict" })
        #expect(a.status == .passed, "retain ppl \(a.retainPPLBefore ?? 0) is under 2× the base's \(a.retainPPLBase ?? 0)")
        #expect(b.status == .restored)
        #expect(a.retainPPLBefore != nil && a.retainPPLBase != nil)
        try daemon.stop()
    }

    /// `restore.tune`: the search chooses on the tuning data (half the fixture's rows) within
    /// its budget and writes nothing but the choice, which is verified on the other half;
    /// the choice is the rule's from the recorded trials and the base's perplexity on the
    /// tuning data (measured here by `retaind eval`), and the history says which data did what.
    @Test func tune_choosesOnTheTuningData_writesOnlyTheChoice_andVerifiesOnHeldOut() throws {
        let daemon = try DaemonHarness(name: "tune")
        let f = DaemonHarness.fixtures
        var data: [String: String] = [:]
        for role in ["retain", "forget"] {
            let rows = try String(contentsOfFile: f + role + ".jsonl", encoding: .utf8).split(separator: "\n")
            for (part, slice) in [("tune", rows.prefix(8)), ("heldout", rows.suffix(8))] {
                let path = daemon.directory + "/\(part)-\(role).jsonl"
                try (slice.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
                data[part + "-" + role] = path
            }
        }
        let extra = """
            [watch.verify]
            retain_eval = "\(data["heldout-retain"]!)"
            forget_eval = "\(data["heldout-forget"]!)"
            [watch.restore]
            tune = true
            tune_alphas = [0.1, 10, 1000]
            tune_gammas = [0, 100]
            tune_evaluations = 10
            tune_retain_data = "\(data["tune-retain"]!)"
            tune_forget_data = "\(data["tune-forget"]!)"
            retain_ppl_tolerance = 1.0001

            """
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0, extra: extra))
        try daemon.start()
        try CheckpointMaker.copy("cand-full", into: daemon.staging + "/checkpoint-1")
        try daemon.moveIn("checkpoint-1")
        let row = try #require(try daemon.waitForOutcomes(1).first)
        #expect(row.status == .restored, "\(row.error ?? "")")
        let result = try RetaindProcess.run(["show", row.path, "--json", "--config", daemon.configPath])
        let shown = try #require((try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])?.first)
        let trials = try #require(shown["tune"] as? [[String: Any]])
        #expect(trials.count == 10, "the budget: 6 grid settings and 2 + 2 refinements")
        #expect(trials.filter { $0["stage"] as? String == "grid" }.count == 6)
        #expect(shown["tune_evaluations"] as? Int == 10)
        let tuneData = try #require(shown["tune_data"] as? String), verifyData = try #require(shown["verify_data"] as? String)
        #expect(tuneData.contains(data["tune-retain"]!) && tuneData.contains(data["tune-forget"]!), "\(tuneData)")
        #expect(verifyData.contains(data["heldout-retain"]!) && verifyData.contains(data["heldout-forget"]!), "\(verifyData)")
        // The tolerance is relative to the base on the tuning data.
        let eval = try RetaindProcess.run(["eval", "--model", f + "base", "--data", data["tune-retain"]!, "--json"])
        let base = try #require((try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])?["ppl"] as? Double)
        let acceptable = trials.filter { ($0["retain_ppl"] as! Double) <= 1.0001 * base }
        let expected = acceptable.max { ($0["forget_ppl"] as! Double) < ($1["forget_ppl"] as! Double) }
            ?? trials.min { ($0["retain_ppl"] as! Double) < ($1["retain_ppl"] as! Double) }!
        #expect(trials.filter { $0["chosen"] as? Bool == true }.count == 1)
        #expect(trials.allSatisfy { ($0["forget_ppl"] != nil) == (($0["retain_ppl"] as! Double) <= 1.0001 * base) },
                "forget perplexity is measured exactly for the settings within the tolerance")
        // Foundation's JSON parser may miss the last bit of a 17-digit number.
        func same(_ a: Double?, _ b: Any?) -> Bool { guard let a, let b = b as? Double else { return false }; return abs(a - b) <= 1e-12 * max(1, abs(a)) }
        #expect(same(row.alpha, expected["alpha"]) && same(row.gamma, expected["gamma"]), "\(String(describing: row.alpha)) \(String(describing: row.gamma)) vs \(expected)")
        #expect(abs(row.driftAfter! - (expected["drift_after"] as! Double)) <= 1e-3 * row.driftAfter!, "F32 output: the trial's closed form is the written figure")
        // Verified on the held-out half: the base's perplexity there is the recorded base.
        let heldOut = try RetaindProcess.run(["eval", "--model", f + "base", "--data", data["heldout-retain"]!, "--json"])
        let heldOutBase = (try JSONSerialization.jsonObject(with: Data(heldOut.stdout.utf8)) as? [String: Any])?["ppl"] as? Double
        #expect(same(row.retainPPLBase, heldOutBase) && heldOutBase != base, "\(String(describing: row.retainPPLBase)) \(String(describing: heldOutBase)) \(base)")
        #expect(row.retainPPLAfter != nil && row.forgetPPLAfter != nil)
        // The written checkpoint is the chosen setting, and nothing else was left.
        let provenance = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: row.restoredPath! + "/retaind.json"))) as? [String: Any])
        #expect(same(row.alpha, provenance["alpha"]) && same(row.gamma, provenance["gamma"]), "\(provenance)")
        let left = try FileManager.default.contentsOfDirectory(atPath: daemon.outputRoot)
        #expect(left == ["runs"], "\(left)")
        try daemon.stop()
    }
}
