@testable import Daemon
import Testing

/// The STATUS= line: activity plus the pending count, sent only when it changes.
struct StatusBoardTests {
    @Test func pendingCheckpoints_areCounted_andUnchangedLinesNotResent() {
        let notifier = RecordingNotifier()
        let board = StatusBoard(notifier: notifier)
        board.set(pending: 0)
        #expect(notifier.messages.isEmpty, "nothing changed")
        board.set(pending: 2)
        board.set(pending: 2)
        board.set(activity: "processing /runs/checkpoint-3")
        board.set(pending: 1)
        board.set(pending: 0)
        #expect(notifier.messages == ["STATUS=idle; 2 checkpoints pending", "STATUS=processing /runs/checkpoint-3; 2 checkpoints pending",
                                      "STATUS=processing /runs/checkpoint-3; 1 checkpoint pending", "STATUS=processing /runs/checkpoint-3"])
    }

    @Test func aPathWithANewline_cannotAddAssignmentsToTheMessage() {
        let notifier = RecordingNotifier()
        StatusBoard(notifier: notifier).set(activity: "processing /runs/checkpoint-1\nWATCHDOG=trigger")
        #expect(notifier.messages == ["STATUS=processing /runs/checkpoint-1\\nWATCHDOG=trigger"])
        #expect(notifier.count("WATCHDOG=trigger") == 0)
    }
}
