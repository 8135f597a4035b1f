import Foundation
import History
import Testing
@testable import Daemon

/// `restore.min_forget_kept`: the share of the forget effect a restore kept, and what
/// happens to a restore that kept too little.
struct ForgettingGuardTests {
    @Test func effectKept_isTheShareOfTheLogPerplexityGain() throws {
        // Base 10, candidate 20 (forgot: log 2 over the base), restored 15 (log 1.5).
        let kept = try #require(ForgettingGuard.effectKept(base: 10, before: 20, after: 15))
        #expect(abs(kept - log(1.5) / log(2)) < 1e-12)
        #expect(ForgettingGuard.effectKept(base: 10, before: 20, after: 8)! < 0, "restored below the base: less than nothing kept")
        #expect(ForgettingGuard.effectKept(base: 10, before: 9, after: 9.5) == nil, "the candidate forgot nothing")
        #expect(ForgettingGuard.effectKept(base: 10, before: 10.0005, after: 10) == nil, "a gain within evaluation noise")
        #expect(ForgettingGuard.effectKept(base: nil, before: 20, after: 15) == nil)
    }

    static func restoredOutcome(after: Double, destination: String) -> Outcome {
        var outcome = Outcome(status: .restored, threshold: 0.001, startedAt: Date())
        outcome.perplexities = .init(retainBase: 10, retainBefore: 12, retainAfter: 10.5, forgetBase: 20, forgetBefore: 40, forgetAfter: after)
        return outcome
    }

    static func output() throws -> String {
        let root = NSTemporaryDirectory() + "retaind-guard-" + UUID().uuidString
        let destination = root + "/run/checkpoint-20-abcd1234"
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: destination + "/config.json"))
        return destination
    }

    @Test func restoreThatUndidTheForgetting_isWithheldAndFlagged() throws {
        let destination = try Self.output()
        var outcome = Self.restoredOutcome(after: 24, destination: destination)  // kept log 1.2 / log 2 = 0.26
        ForgettingGuard.apply(&outcome, minimum: 0.9, destination: destination)
        #expect(outcome.status == .flagged && outcome.withheld)
        #expect(abs(outcome.forgetEffectKept! - log(1.2) / log(2)) < 1e-12)
        let withheld = (destination as NSString).deletingLastPathComponent + "/.withheld-checkpoint-20-abcd1234"
        #expect(!FileManager.default.fileExists(atPath: destination))
        #expect(FileManager.default.fileExists(atPath: withheld + "/config.json"), "the output is kept, out of sight")
        let error = try #require(outcome.error)
        #expect(error.hasPrefix("restoring kept 0.263 of the forgetting") && error.contains("under min_forget_kept 0.9"), "\(error)")
        #expect(error.contains("withheld at \(withheld)"))
        #expect(outcome.record(claim: CheckpointRecord(path: "/runs/run/checkpoint-20", watch: "w", signature: "s", detectedAt: Date())).restoredPath == nil)
    }

    @Test func restoreThatKeptTheForgetting_orAGuardTurnedOff_isPublished() throws {
        let destination = try Self.output()
        var kept = Self.restoredOutcome(after: 38, destination: destination)  // log 1.9 / log 2 = 0.93
        ForgettingGuard.apply(&kept, minimum: 0.9, destination: destination)
        #expect(kept.status == .restored && !kept.withheld && kept.forgetEffectKept! > 0.9)
        var off = Self.restoredOutcome(after: 20, destination: destination)
        ForgettingGuard.apply(&off, minimum: 0, destination: destination)
        #expect(off.status == .restored && off.forgetEffectKept == 0)
        #expect(FileManager.default.fileExists(atPath: destination))
    }
}
