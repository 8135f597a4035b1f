@testable import Daemon
import Foundation
import History
import Journal
import Logging
import Testing

/// The processor in-process: one outcome, one history row and one journal entry per
/// checkpoint, for every status, with an in-memory history and log.
@Suite(.serialized) struct ProcessorTests {
    @Test func underThreshold_passes_withTheDriftFiguresAndOneInfoEntry() throws {
        let fixture = try DaemonFixture()
        let processor = try fixture.processor(threshold: 1)
        let record = try #require(processor.process(try fixture.candidate(copying: "cand-full")))
        #expect(record.status == .passed)
        #expect(record.restoredPath == nil)
        let drift = try #require(record.drift)
        #expect(drift > 0.001 && drift < 0.003, "the fixture's update drifts by ≈ 0.0016")
        #expect(record.fingerprint?.count == 64)
        #expect(fixture.history.modules(of: record.id!).count > 0)
        #expect(fixture.history.records.map(\.status) == [.passed])
        let entries = fixture.outcomeEntries
        #expect(entries.count == 1)
        #expect(entries.first?.level == .info)
        #expect(entries.first?.metadata["message_id"] == "\(MessageID.passed.rawValue)")
    }

    @Test func overThreshold_isRestored_intoTheMirroredOutputPath() throws {
        let fixture = try DaemonFixture()
        let processor = try fixture.processor(threshold: 0.001)
        let record = try #require(processor.process(try fixture.candidate(copying: "cand-full")))
        #expect(record.status == .restored)
        #expect(record.restoredPath == fixture.outputRoot + "/w/runs/checkpoint-1")
        #expect(FileManager.default.fileExists(atPath: fixture.outputRoot + "/w/runs/checkpoint-1/retaind.json"))
        #expect(try #require(record.driftAfter) < record.drift!)
        #expect(record.alpha != nil && record.gamma != nil && record.restoreSeconds != nil)
        let modules = fixture.history.modules(of: record.id!)
        #expect(!modules.isEmpty && modules.allSatisfy { $0.rhoAfter != nil })
        #expect(fixture.outcomeEntries.map(\.level) == [.warning])
        #expect(fixture.outcomeEntries.first?.metadata["retaind.restored_path"] == "\(record.restoredPath!)")
    }

    @Test func overThreshold_withRestoreDisabled_isFlagged_andWritesNothing() throws {
        let fixture = try DaemonFixture()
        let processor = try fixture.processor(tables: "[watch.restore]\nenabled = false")
        let record = try #require(processor.process(try fixture.candidate(copying: "cand-full")))
        #expect(record.status == .flagged)
        #expect(record.restoredPath == nil)
        #expect(!FileManager.default.fileExists(atPath: fixture.outputRoot + "/w"))
        #expect(fixture.outcomeEntries.first?.metadata["message_id"] == "\(MessageID.flagged.rawValue)")
    }

    @Test func corruptWeights_areRejected_withTheReason() throws {
        let fixture = try DaemonFixture()
        let processor = try fixture.processor()
        let path = fixture.runs + "/checkpoint-1"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: DaemonFixture.fixtures + "base/config.json", toPath: path + "/config.json")
        try Data([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]).write(to: URL(fileURLWithPath: path + "/model.safetensors"))
        let record = try #require(processor.process(fixture.candidate(at: path)))
        #expect(record.status == .rejected)
        #expect(record.error?.isEmpty == false)
        #expect(fixture.outcomeEntries.first?.level == .error)
        #expect(fixture.outcomeEntries.first?.metadata["message_id"] == "\(MessageID.rejected.rawValue)")
    }

    @Test func aCheckpointDeletedBeforeItsTurn_vanishes() throws {
        let fixture = try DaemonFixture()
        let processor = try fixture.processor()
        let candidate = try fixture.candidate(copying: "cand-full")
        try FileManager.default.removeItem(atPath: candidate.path)
        let record = try #require(processor.process(candidate))
        #expect(record.status == .vanished)
        #expect(fixture.outcomeEntries.first?.level == .notice)
    }

    @Test func anUnwritableOutputRoot_isTheDaemonsError_notTheCheckpoints() throws {
        let fixture = try DaemonFixture()
        let blocker = fixture.directory + "/not-a-directory"
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        let processor = try fixture.processor(outputRoot: blocker + "/restored")
        let record = try #require(processor.process(try fixture.candidate(copying: "cand-full")))
        #expect(record.status == .error)
        #expect(record.drift != nil, "the drift was measured before the restore failed")
        #expect(fixture.outcomeEntries.first?.metadata["message_id"] == "\(MessageID.daemonError.rawValue)")
    }

    @Test func sameWeightsWithTouchedFiles_keepTheirOutcome() throws {
        let fixture = try DaemonFixture()
        let processor = try fixture.processor(threshold: 1)
        let first = try fixture.candidate(copying: "cand-full")
        #expect(processor.process(first)?.status == .passed)
        let weights = first.path + "/model.safetensors"
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: weights)
        let touched = fixture.candidate(at: first.path)
        #expect(touched.signature != first.signature)
        #expect(processor.process(touched) == nil, "same fingerprint: no second outcome")
        #expect(fixture.history.records.count == 1)
        #expect(fixture.history.records.first?.signature == touched.signature, "the restart check learns the new files")
        #expect(fixture.outcomeEntries.count == 1)
    }

    @Test func filesChangedSinceFound_areLeftForTheWatcher() throws {
        let fixture = try DaemonFixture()
        let processor = try fixture.processor()
        var candidate = try fixture.candidate(copying: "cand-full")
        candidate = Candidate(path: candidate.path, watch: "w", root: candidate.root, signature: "older", detectedAt: Date())
        #expect(processor.process(candidate) == nil)
        #expect(fixture.history.records.isEmpty)
    }

    @Test func aCandidateOfARemovedWatch_isNotProcessed() throws {
        let fixture = try DaemonFixture()
        let processor = try fixture.processor()
        processor.configure([], outputRoot: fixture.outputRoot)
        #expect(processor.process(try fixture.candidate(copying: "cand-full")) == nil)
        #expect(fixture.history.records.isEmpty)
    }

    @Test func processing_setsTheDeadline_andClearsItAfterwards() throws {
        let fixture = try DaemonFixture()
        let clock = TestClock()
        let deadline = ProgressDeadline(now: clock.reading)
        let processor = try fixture.processor(threshold: 1, deadline: deadline)
        _ = processor.process(try fixture.candidate(copying: "cand-full"))
        clock.advance(by: 3600)
        #expect(deadline.isMet, "nothing in progress: no deadline to miss")
        #expect(fixture.notifier.messages.contains { $0.hasPrefix("STATUS=processing ") })
        #expect(fixture.notifier.messages.last?.hasPrefix("STATUS=idle; last: passed ") == true)
    }

    @Test func anEarlierVersionsOutput_isKept_andTheNewOneGetsTheFingerprintSuffix() throws {
        let fixture = try DaemonFixture()
        let processor = try fixture.processor()
        let first = try #require(processor.process(try fixture.candidate(copying: "cand-full")))
        try FileManager.default.removeItem(atPath: fixture.runs + "/checkpoint-1")
        let second = try #require(processor.process(try fixture.candidate(copying: "cand-bf16")))
        #expect(first.status == .restored && second.status == .restored)
        #expect(second.fingerprint != first.fingerprint)
        #expect(second.restoredPath == first.restoredPath! + "." + second.fingerprint!.prefix(12))
        #expect(FileManager.default.fileExists(atPath: first.restoredPath! + "/retaind.json"), "the earlier output stays")
    }

    @Test func anOutputWhoseOutcomeWasNeverRecorded_isReplaced_notSuffixed() throws {
        let fixture = try DaemonFixture()
        let first = try #require(try fixture.processor().process(try fixture.candidate(copying: "cand-full")))
        // A daemon that died between publishing and recording: same output, no history.
        let amnesiac = DaemonFixture.withHistory(of: fixture, InMemoryHistory())
        let again = try #require(try amnesiac.processor().process(fixture.candidate(at: fixture.runs + "/checkpoint-1")))
        #expect(again.status == .restored)
        #expect(again.restoredPath == first.restoredPath)
        let siblings = try FileManager.default.contentsOfDirectory(atPath: fixture.outputRoot + "/w/runs")
        #expect(siblings == ["checkpoint-1"], "no suffixed copy, no temporary left")
    }

    @Test func aCopyOfTheBase_isUnchanged_notPassed() throws {
        let fixture = try DaemonFixture()
        let record = try #require(try fixture.processor().process(try fixture.candidate(copying: "base")))
        #expect(record.status == .unchanged)
        #expect(record.drift == 0 && record.restoredPath == nil)
        #expect(fixture.outcomeEntries.first?.metadata["message_id"] == "\(MessageID.unchanged.rawValue)")
        #expect(fixture.outcomeEntries.first?.level == .warning)
    }

    @Test func aLayoutRejection_isRecordedWithoutReadingAnything() throws {
        let fixture = try DaemonFixture()
        let path = fixture.runs + "/checkpoint-1"
        try FileManager.default.createDirectory(atPath: path + "/global_step10", withIntermediateDirectories: true)
        var candidate = fixture.candidate(at: path)
        candidate.rejection = "weights are DeepSpeed ZeRO partitions"
        let record = try #require(try fixture.processor().process(candidate))
        #expect(record.status == .rejected && record.error == "weights are DeepSpeed ZeRO partitions" && record.fingerprint == nil)
    }
}
