import Foundation
import History
import Testing
import TestSupport

/// The forgetting guard end to end: the LoRA candidate raised perplexity on
/// `retain.jsonl` (by 5e-4 in log perplexity over the base), so that file is the forget
/// data here. The default restore (α = γ = 10) takes that gain back; α = 1, γ = 100 keeps
/// 0.96 of it (both measured with `retaind restore` + `retaind eval`).
@Suite(.serialized) struct ForgettingGuardEndToEndTests {
    @Test func restoreUndoingTheForgetting_isWithheldAndFlagged_whileOneKeepingItIsRestored() throws {
        let daemon = try DaemonHarness(name: "guard")
        let f = DaemonHarness.fixtures
        let verify = """
            [watch.verify]
            retain_eval = "\(f)forget.jsonl"
            forget_eval = "\(f)retain.jsonl"

            """
        let kept = verify + """
            [watch.restore]
            alpha = 1.0
            gamma = 100.0

            """
        for dir in ["undone", "kept"] { try FileManager.default.createDirectory(atPath: daemon.runs + "/" + dir, withIntermediateDirectories: true) }
        try daemon.writeConfig(DaemonHarness.watch(name: "undone", dirs: [daemon.runs + "/undone"], settle: 0, extra: verify)
                                 + DaemonHarness.watch(name: "kept", dirs: [daemon.runs + "/kept"], settle: 0, extra: kept))
        try daemon.start()
        for dir in ["undone", "kept"] {
            try CheckpointMaker.copy("cand-lora", into: daemon.staging + "/checkpoint-" + dir)
            try daemon.moveIn("checkpoint-" + dir, to: daemon.runs + "/\(dir)/checkpoint-1")
        }
        let rows = try daemon.waitForOutcomes(2)
        let undone = try #require(rows.first { $0.watch == "undone" }), restored = try #require(rows.first { $0.watch == "kept" })
        let config = ["--config", daemon.configPath]

        #expect(undone.status == .flagged, "\(undone.error ?? "")")
        #expect(undone.restoredPath == nil)
        let share = try #require(undone.forgetEffectKept)
        #expect(share < 0.9)
        // The figure is the log-perplexity share of the three recorded perplexities.
        let (base, before, after) = (undone.forgetPPLBase!, undone.forgetPPLBefore!, undone.forgetPPLAfter!)
        #expect(abs(share - (log(after) - log(base)) / (log(before) - log(base))) < 1e-9)
        let eval = try RetaindProcess.run(["eval", "--model", f + "base", "--data", f + "retain.jsonl", "--json"])
        let baseEval = (try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])?["ppl"] as? Double
        #expect(baseEval.map { abs($0 - base) <= 1e-9 * base } == true, "forget_ppl_base is the base on forget_eval")
        let error = try #require(undone.error)
        #expect(error.contains("under min_forget_kept 0.9") && error.contains("withheld at "), "\(error)")
        // Nothing at the published place; the output is in a hidden sibling.
        let runOutput = daemon.outputRoot + "/undone/undone"
        let published = try FileManager.default.contentsOfDirectory(atPath: runOutput)
        #expect(published.count == 1 && published[0].hasPrefix(".withheld-checkpoint-1"), "\(published)")
        #expect(FileManager.default.fileExists(atPath: runOutput + "/" + published[0] + "/adapter_config.json"))
        let waited = try RetaindProcess.run(["wait", undone.path, "--timeout", "60"] + config)
        #expect(waited.status == 11, "\(waited.stdout)")
        #expect(waited.stdout.contains("restoring kept"), "\(waited.stdout)")

        #expect(restored.status == .restored, "\(restored.error ?? "")")
        #expect(try #require(restored.forgetEffectKept) >= 0.9)
        #expect(FileManager.default.fileExists(atPath: restored.restoredPath! + "/adapter_config.json"))
        #expect(try RetaindProcess.run(["wait", restored.path, "--timeout", "60"] + config).status == 10)
        try daemon.stop()
    }
}
