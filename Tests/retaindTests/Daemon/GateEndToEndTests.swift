import Foundation
import History
import TestSupport
import Testing

/// Gating as pipelines do it, against a running daemon: `retaind wait` and its exit
/// statuses, pending checkpoints, unreadable layouts, unchanged runs, `retaind runs`.
@Suite(.serialized) struct GateEndToEndTests {
    /// A daemon with a restoring watch on `runs/` and a flag-only watch on `flagged/`.
    func daemon(_ name: String, settle: Double = 0, stalled: Double = 3, extra: String = "") throws -> DaemonHarness {
        let daemon = try DaemonHarness(name: name)
        let flagged = daemon.directory + "/flagged"
        try FileManager.default.createDirectory(atPath: flagged, withIntermediateDirectories: true)
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: settle, stalled: stalled, extra: extra)
            + DaemonHarness.watch(name: "flagged", dirs: [flagged], settle: settle) + "[watch.restore]\nenabled = false\n")
        try daemon.start()
        return daemon
    }

    /// `retaind wait` started in the background; `finish()` returns its result.
    final class Waiting: @unchecked Sendable {
        let process = Process()
        private let out = Pipe(), err = Pipe()
        private var stdout = Data(), stderr = Data()

        init(_ arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: RetaindProcess.executable)
            process.arguments = ["wait"] + arguments
            process.standardOutput = out
            process.standardError = err
            try process.run()
        }

        func finish(timeout: Double = 60) throws -> RetaindProcess.Result {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if process.isRunning { process.terminate(); throw HarnessError.timeout("retaind wait did not return within \(timeout) s") }
            stdout = out.fileHandleForReading.readDataToEndOfFile()
            stderr = err.fileHandleForReading.readDataToEndOfFile()
            return .init(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                         stderr: String(decoding: stderr, as: UTF8.self))
        }
    }

    func verdicts(_ result: RetaindProcess.Result) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result.stdout) \(result.stderr)")
    }

    @Test func wait_returnsEachVerdictsExitStatus() throws {
        let daemon = try daemon("wait")
        let config = ["--config", daemon.configPath]
        let passed = daemon.runs + "/checkpoint-1", restored = daemon.runs + "/checkpoint-2"

        // Dropped after wait started: passed (0), then restored (10) with the path to use.
        let waitingPassed = try Waiting([passed, "--timeout", "60", "--json"] + config)
        let waitingRestored = try Waiting([restored, "--timeout", "60"] + config)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(waitingPassed.process.isRunning, "nothing to report yet")
        try CheckpointMaker.interpolated(0.2, into: daemon.staging + "/checkpoint-1")
        try daemon.moveIn("checkpoint-1")
        let p = try waitingPassed.finish()
        #expect(p.status == 0, "\(p.stdout) \(p.stderr)")
        #expect(try verdicts(p).first?["status"] as? String == "passed")
        try CheckpointMaker.interpolated(1.2, into: daemon.staging + "/checkpoint-2")
        try daemon.moveIn("checkpoint-2")
        let r = try waitingRestored.finish()
        #expect(r.status == 10)
        let row = try #require(try daemon.rows().first { $0.path == restored })
        #expect(r.stdout.contains("use \(row.restoredPath!)"), "\(r.stdout)")

        // Already done, several paths: the highest status wins, every verdict is printed.
        let both = try RetaindProcess.run(["wait", passed, restored, "--json"] + config)
        #expect(both.status == 10)
        let rows = try verdicts(both)
        #expect(rows.map { $0["status"] as? String } == ["passed", "restored"])
        #expect(rows[1]["restored_path"] as? String == row.restoredPath)
        let drift = try #require(rows[1]["drift"] as? Double), after = try #require(rows[1]["drift_after"] as? Double)
        #expect(abs(drift - row.drift!) <= 1e-12 * row.drift! && abs(after - row.driftAfter!) <= 1e-12 * row.driftAfter!)

        // Flagged (11), rejected (12), unchanged (14).
        try CheckpointMaker.interpolated(1.2, into: daemon.directory + "/flagged-staging")
        #expect(rename(daemon.directory + "/flagged-staging", daemon.directory + "/flagged/checkpoint-1") == 0)
        #expect(try RetaindProcess.run(["wait", daemon.directory + "/flagged/checkpoint-1", "--timeout", "60"] + config).status == 11)
        try CheckpointMaker.raw(CheckpointMaker.file(header: "{\"x\": 1}"), into: daemon.staging + "/checkpoint-3")
        try daemon.moveIn("checkpoint-3")
        let rejected = try RetaindProcess.run(["wait", daemon.runs + "/checkpoint-3", "--timeout", "60"] + config)
        #expect(rejected.status == 12, "\(rejected.stdout)")
        try CheckpointMaker.copy("base", into: daemon.staging + "/checkpoint-4")
        try daemon.moveIn("checkpoint-4")
        #expect(try RetaindProcess.run(["wait", daemon.runs + "/checkpoint-4", "--timeout", "60"] + config).status == 14)

        // No outcome in time: 124, and the JSON says what it waits for.
        let late = try RetaindProcess.run(["wait", daemon.runs + "/checkpoint-9", "--timeout", "1", "--json"] + config)
        #expect(late.status == 124)
        #expect(try verdicts(late).first?["waiting_for"] as? String == "the checkpoint to appear")

        // A path no watch covers is refused at once.
        let started = Date()
        let uncovered = try RetaindProcess.run(["wait", daemon.directory + "/elsewhere/checkpoint-1"] + config)
        #expect(uncovered.status == 64)
        #expect(uncovered.stderr.contains("is not a checkpoint directory of any watch"))
        #expect(Date().timeIntervalSince(started) < 10, "refused, not waited on")
        try daemon.stop()
    }

    @Test func waitLatest_followsARunThatGrows() throws {
        let daemon = try DaemonHarness(name: "latest")
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0).replacingOccurrences(
            of: "[[watch]]", with: "[[watch]]\npattern = \"*/checkpoint-*\""))
        try daemon.start()
        let run = daemon.runs + "/unlearn-a"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        let waiting = try Waiting([run, "--latest", "--timeout", "60", "--json", "--config", daemon.configPath])
        Thread.sleep(forTimeInterval: 0.3)
        #expect(waiting.process.isRunning, "the run has no checkpoint yet")
        try CheckpointMaker.interpolated(1.2, into: daemon.staging + "/checkpoint-40")
        try daemon.moveIn("checkpoint-40", to: run + "/checkpoint-40")
        let result = try waiting.finish()
        #expect(result.status == 10)
        #expect(try verdicts(result).first?["path"] as? String == run + "/checkpoint-40")
        // A newer step is the one `--latest` means from then on.
        try CheckpointMaker.interpolated(0.1, into: daemon.staging + "/checkpoint-100")
        try daemon.moveIn("checkpoint-100", to: run + "/checkpoint-100")
        let newer = try RetaindProcess.run(["wait", run, "--latest", "--timeout", "60", "--json", "--config", daemon.configPath])
        #expect(newer.status == 0)
        #expect(try verdicts(newer).first?["path"] as? String == run + "/checkpoint-100")
        let runs = try RetaindProcess.run(["runs", "--json", "--config", daemon.configPath])
        let summary = try #require((try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]])?.first)
        #expect(summary["run"] as? String == run && summary["checkpoints"] as? Int == 2 && summary["newest_step"] as? Int == 100)
        #expect(summary["use"] as? String == run + "/checkpoint-100", "the newest passed checkpoint is newer than the restored one")
        #expect((summary["statuses"] as? [String: Int]) == ["passed": 1, "restored": 1])
        try daemon.stop()
    }

    @Test func slowCheckpoint_isPendingWithItsReason_thenGetsItsOutcome() throws {
        let daemon = try daemon("pending", stalled: 600)
        let path = daemon.runs + "/checkpoint-1"
        try CheckpointMaker.interpolated(0.2, into: daemon.staging + "/checkpoint-1")
        let weights = try Data(contentsOf: URL(fileURLWithPath: daemon.staging + "/checkpoint-1/model.safetensors"))
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: daemon.staging + "/checkpoint-1/config.json", toPath: path + "/config.json")
        try weights.prefix(weights.count / 2).write(to: URL(fileURLWithPath: path + "/model.safetensors"))
        let config = ["--config", daemon.configPath]
        var waitingFor = ""
        for _ in 0..<100 {
            let result = try RetaindProcess.run(["wait", path, "--timeout", "0", "--json"] + config)
            waitingFor = try verdicts(result).first?["waiting_for"] as? String ?? ""
            if waitingFor.contains("of \(weights.count) bytes") { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(waitingFor.contains("model.safetensors is short: \(weights.count / 2) of \(weights.count) bytes"), "\(waitingFor)")
        let history = try RetaindProcess.run(["history"] + config)
        #expect(history.stdout.contains("pending") && history.stdout.contains("is short"), "\(history.stdout)")
        let show = try RetaindProcess.run(["show", path] + config)
        #expect(show.status == 0 && show.stdout.contains("status       pending"))
        #expect(try daemon.rows().isEmpty, "nothing processed half-written")

        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path + "/model.safetensors"))
        try handle.seekToEnd()
        try handle.write(contentsOf: weights.suffix(from: weights.count / 2))
        try handle.close()
        #expect(try RetaindProcess.run(["wait", path, "--timeout", "60"] + config).status == 0)
        let after = try RetaindProcess.run(["history", "--json"] + config)
        #expect(!after.stdout.contains("\"pending\""), "an outcome replaces the pending row")
        try daemon.stop()
    }

    @Test func unreadableLayouts_areRejectedWithWhatToDo_andStagingWaitsForItsRename() throws {
        let daemon = try daemon("layouts")
        let s = daemon.staging
        let cases: [(String, String, () throws -> Void)] = [
            ("pickle", "save with safetensors", {
                try FileManager.default.createDirectory(atPath: s + "/pickle", withIntermediateDirectories: true)
                try Data(count: 64).write(to: URL(fileURLWithPath: s + "/pickle/pytorch_model.bin"))
                try FileManager.default.copyItem(atPath: DaemonHarness.fixtures + "base/config.json", toPath: s + "/pickle/config.json")
            }),
            ("fsdp", "accelerate merge-weights", {
                try FileManager.default.createDirectory(atPath: s + "/fsdp/pytorch_model_fsdp_0", withIntermediateDirectories: true)
                try Data(count: 64).write(to: URL(fileURLWithPath: s + "/fsdp/pytorch_model_fsdp_0/__0_0.distcp"))
            }),
            ("deepspeed", "zero_to_fp32.py", {
                try FileManager.default.createDirectory(atPath: s + "/deepspeed/global_step20", withIntermediateDirectories: true)
                try Data(count: 64).write(to: URL(fileURLWithPath: s + "/deepspeed/global_step20/mp_rank_00_model_states.pt"))
                try "global_step20".write(toFile: s + "/deepspeed/latest", atomically: true, encoding: .utf8)
            }),
            ("megatron", "NeMo/Megatron distributed checkpoint", {
                try FileManager.default.createDirectory(atPath: s + "/megatron", withIntermediateDirectories: true)
                try Data(count: 64).write(to: URL(fileURLWithPath: s + "/megatron/__0_0.distcp"))
                try "{}".write(toFile: s + "/megatron/.metadata", atomically: true, encoding: .utf8)
            }),
            ("empty-adapter", "stage3_gather_16bit_weights_on_model_save", {
                try FileManager.default.createDirectory(atPath: s + "/empty-adapter", withIntermediateDirectories: true)
                try Data(CheckpointMaker.file(header: "{\"__metadata__\": {\"format\": \"pt\"}}")).write(
                    to: URL(fileURLWithPath: s + "/empty-adapter/adapter_model.safetensors"))
                try FileManager.default.copyItem(atPath: DaemonHarness.fixtures + "cand-lora/adapter_config.json",
                                                  toPath: s + "/empty-adapter/adapter_config.json")
            }),
        ]
        for (name, _, build) in cases {
            try build()
            try daemon.moveIn(name, to: daemon.runs + "/checkpoint-" + name)
        }
        // A Trainer staging directory: no row until it is renamed.
        try CheckpointMaker.interpolated(0.2, into: daemon.runs + "/tmp-checkpoint-7")
        let rows = try daemon.waitForOutcomes(cases.count)
        for (name, hint, _) in cases {
            let row = rows.first { $0.path == daemon.runs + "/checkpoint-" + name }
            #expect(row?.status == .rejected, "\(name): \(row?.status.rawValue ?? "no row")")
            #expect(row?.error?.contains(hint) == true, "\(name): \(row?.error ?? "")")
            print("\(name): \(row?.error ?? "")")
        }
        let entries = try Journal.wait(pid: daemon.pid) { $0.filter { $0["RETAIND_STATUS"] == "rejected" }.count >= cases.count }
        #expect(entries.filter { $0["RETAIND_STATUS"] == "rejected" }.allSatisfy { $0["PRIORITY"] == "3" })
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try !daemon.rows().contains { $0.path.contains("tmp-checkpoint") })
        #expect(rename(daemon.runs + "/tmp-checkpoint-7", daemon.runs + "/checkpoint-7") == 0)
        let done = try daemon.waitForOutcomes(cases.count + 1)
        #expect(done.filter { $0.path == daemon.runs + "/checkpoint-7" }.map(\.status) == [.passed])
        try daemon.stop()
    }

    @Test func anAdapterWithZeroB_andACopyOfTheBase_areUnchanged() throws {
        let daemon = try daemon("unchanged")
        try CheckpointMaker.zeroedLoRA(into: daemon.staging + "/checkpoint-1")
        try daemon.moveIn("checkpoint-1")
        try CheckpointMaker.copy("base", into: daemon.staging + "/checkpoint-2")
        try daemon.moveIn("checkpoint-2")
        let rows = try daemon.waitForOutcomes(2)
        #expect(rows.allSatisfy { $0.status == .unchanged }, "\(rows.map { "\($0.path): \($0.status) \($0.error ?? "")" })")
        let entries = try Journal.wait(pid: daemon.pid) { $0.filter { $0["RETAIND_STATUS"] == "unchanged" }.count >= 2 }
        #expect(entries.filter { $0["RETAIND_STATUS"] == "unchanged" }.allSatisfy {
            $0["PRIORITY"] == "4" && $0["MESSAGE_ID"] == "4d15f73c1ce34a079dee5935caf9b2d3"
                && $0["MESSAGE"]?.contains("check the optimizer, the adapter, gradient checkpointing") == true
        })
        try daemon.stop()
    }
}
