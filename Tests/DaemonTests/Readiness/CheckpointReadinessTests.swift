@testable import Daemon
import Foundation
import Testing

/// Readiness decisions and the pending reasons operators see.
struct CheckpointReadinessTests {
    let directory = NSTemporaryDirectory() + "retaind-readiness-" + UUID().uuidString
    static let fixtures = DaemonFixture.fixtures

    func watch(marker: String = "\"\"", settle: Double = 10, stalled: Double = 600) throws -> Configuration.Watch {
        try Configuration.parse("""
            [store]
            database = "/tmp/h.sqlite"
            [[watch]]
            name = "w"
            dirs = ["/runs"]
            base = "/base"
            retain_profile = "/p"
            completion_marker = \(marker)
            settle_seconds = \(settle)
            stalled_seconds = \(stalled)
            [watch.gate]
            threshold = 0.001
            """, path: "/etc/retaind.toml").watches[0]
    }

    func decide(_ watch: Configuration.Watch, quietFor seconds: Double) throws -> CheckpointReadiness.Decision {
        let snapshot = try #require(DirectorySnapshot(directory: directory))
        let now = Date()
        return CheckpointReadiness.decide(path: directory, snapshot: snapshot, quietSince: now.addingTimeInterval(-seconds), now: now,
                                          watch: watch, pattern: CheckpointPattern("checkpoint-*"))
    }

    @Test func aShortFile_waitsWithItsByteCounts_untilStalled() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixtures + "base/config.json", toPath: directory + "/config.json")
        let weights = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "base/model.safetensors"))
        try weights.prefix(weights.count - 100).write(to: URL(fileURLWithPath: directory + "/model.safetensors"))
        guard case .waiting(_, let reason) = try decide(watch(), quietFor: 5) else { Issue.record("not waiting"); return }
        #expect(reason.text == "model.safetensors is short: \(weights.count - 100) of \(weights.count) bytes")
        try weights.prefix(10).write(to: URL(fileURLWithPath: directory + "/model.safetensors"))
        guard case .waiting(_, let early) = try decide(watch(), quietFor: 5) else { Issue.record("not waiting"); return }
        #expect(early.text == "model.safetensors is short: 10 bytes, shorter than its header")
        #expect(try decide(watch(stalled: 3), quietFor: 5) == .ready(rejection: nil), "stalled: processed, to be rejected as truncated")
    }

    @Test func aCompleteCheckpoint_waitsForItsMarker_thenForQuiet() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.copyItem(atPath: Self.fixtures + "base", toPath: directory)
        guard case .waiting(nil, let marker) = try decide(watch(marker: "\"DONE\""), quietFor: 60) else { Issue.record("no marker wait"); return }
        #expect(marker.text == "waiting for the completion marker DONE")
        guard case .waiting(_?, let settling) = try decide(watch(), quietFor: 3) else { Issue.record("no settle wait"); return }
        #expect(settling.text == "settling: no file may change for 7 s more")
        #expect(try decide(watch(), quietFor: 11) == .ready(rejection: nil))
    }

    @Test func unreadableLayouts_areReadyToReject_andOtherFoldersAreNotCheckpoints() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/global_step40", withIntermediateDirectories: true)
        guard case .ready(let rejection?) = try decide(watch(), quietFor: 60) else { Issue.record("not rejected"); return }
        #expect(rejection.contains("DeepSpeed ZeRO partitions"))
        try FileManager.default.removeItem(atPath: directory + "/global_step40")
        try "{}".write(toFile: directory + "/eval_results.json", atomically: true, encoding: .utf8)
        #expect(try decide(watch(), quietFor: 60) == .noWeights)
        #expect(UnreadableLayout.detect(files: ["pytorch_model-00001-of-00002.bin", "pytorch_model.bin.index.json"], directories: []) == .pickle)
        #expect(UnreadableLayout.detect(files: [], directories: ["pytorch_model_fsdp_0"]) == .fsdpSharded)
        #expect(UnreadableLayout.detect(files: ["__0_0.distcp", ".metadata"], directories: []) == .distributed)
    }
}
