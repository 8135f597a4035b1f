@testable import Daemon
import Testing

/// Watch patterns: one glob per directory level, hidden names never match.
struct CheckpointPatternTests {
    @Test func levels_matchTheirOwnComponent() {
        let pattern = CheckpointPattern("*/checkpoint-*")
        #expect(pattern.depth == 2)
        #expect(pattern.matches("run-7", level: 0))
        #expect(pattern.matches("checkpoint-500", level: 1))
        #expect(!pattern.matches("checkpoint-500", level: 2))
        #expect(!pattern.matches("evals", level: 1))
    }

    @Test func hiddenNames_neverMatch_soTemporariesAreNotCandidates() {
        let pattern = CheckpointPattern("*")
        #expect(!pattern.matches(".checkpoint-5.retaind-tmp-123-0", level: 0))
        #expect(pattern.matches("checkpoint-5", level: 0))
    }
}
