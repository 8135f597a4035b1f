@testable import Daemon
import Foundation
import Testing

/// Which watch covers a path, and the newest checkpoint of a run.
struct WatchCoverageTests {
    func configuration(pattern: String) throws -> Configuration {
        try Configuration.parse("""
            [store]
            database = "/tmp/h.sqlite"
            [[watch]]
            name = "w"
            dirs = ["/runs"]
            pattern = "\(pattern)"
            base = "/base"
            retain_profile = "/p"
            [watch.gate]
            threshold = 0.001
            """, path: "/etc/retaind.toml")
    }

    @Test func checkpointsAndRuns_areCoveredAtTheirDepth_andOthersRefusedWithTheWatches() throws {
        let coverage = WatchCoverage(try configuration(pattern: "*/checkpoint-*"))
        #expect(try coverage.watch(ofCheckpoint: "/runs/a/checkpoint-10").name == "w")
        #expect(try coverage.watch(ofCheckpoint: "/runs/a/../a/checkpoint-10").name == "w", "standardized first")
        #expect(try coverage.watch(ofRun: "/runs/a").name == "w")
        #expect(throws: WatchCoverage.Refusal.self) { try coverage.watch(ofCheckpoint: "/runs/checkpoint-10") }
        #expect(throws: WatchCoverage.Refusal.self) { try coverage.watch(ofCheckpoint: "/runs/a/step-10") }
        #expect(throws: WatchCoverage.Refusal.self) { try coverage.watch(ofCheckpoint: "/runsX/a/checkpoint-10") }
        do {
            _ = try coverage.watch(ofCheckpoint: "/elsewhere/checkpoint-1")
        } catch {
            #expect(error.description.contains("w: /runs / */checkpoint-*"), "names what is watched")
        }
    }

    @Test func theNewestCheckpoint_isTheHighestStep_thenTheLatestMtime_skippingStaging() throws {
        let run = NSTemporaryDirectory() + "retaind-coverage-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: run) }
        let watch = try configuration(pattern: "checkpoint-*").watches[0]
        #expect(WatchCoverage.newestCheckpoint(in: run, of: watch) == nil)
        for name in ["checkpoint-9", "checkpoint-100", "checkpoint-20", "tmp-checkpoint-500", "evals"] {
            try FileManager.default.createDirectory(atPath: run + "/" + name, withIntermediateDirectories: true)
        }
        #expect(WatchCoverage.newestCheckpoint(in: run, of: watch) == run + "/checkpoint-100", "by number, not by name")
        #expect(WatchCoverage.step(of: "checkpoint-1200") == 1200 && WatchCoverage.step(of: "final") == nil)
    }
}
