@testable import Daemon
import History
import Testing

/// The exit statuses `retaind wait` documents.
struct VerdictTests {
    @Test func everyStatus_hasItsDocumentedExitCode() {
        let expected: [CheckpointStatus: Int32] = [.passed: 0, .restored: 10, .flagged: 11, .rejected: 12, .vanished: 13, .error: 13,
                                                   .unchanged: 14, .processing: 124]
        for status in CheckpointStatus.allCases { #expect(Verdict.exitCode(of: status) == expected[status], "\(status)") }
    }
}
