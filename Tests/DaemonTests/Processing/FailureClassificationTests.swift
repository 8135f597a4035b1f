@testable import Daemon
import Foundation
import History
import Retention
import SafeTensors
import SystemCalls
import Testing

/// Which status a failure gets: the checkpoint's fault, the daemon's, or one that may pass.
struct FailureClassificationTests {
    let present = DaemonFixture.fixtures + "cand-full"

    @Test func anUnreadableFile_isTransient_soItIsRetried_notRejected() {
        let denied = CheckpointError(checkpoint: present, reason: .system(SystemError("open", path: present + "/model.safetensors", errno: EACCES)))
        let (status, message) = FailureClassification.classify(denied, checkpoint: present)
        #expect(status == .error)
        #expect(message.contains("Permission denied") && message.contains("retried"))
        let full = DriftError(checkpoint: present, reason: .output(SafeTensorsError(path: "/out/model.safetensors",
                                                                                    reason: .system(SystemError("write", errno: ENOSPC)))))
        #expect(FailureClassification.classify(full, checkpoint: present).status == .error)
    }

    @Test func aBrokenCheckpoint_isRejected_andAGoneOneVanished() {
        let broken = CheckpointError(checkpoint: present, reason: .missingConfig)
        #expect(FailureClassification.classify(broken, checkpoint: present).status == .rejected)
        let missing = CheckpointError(checkpoint: present, reason: .system(SystemError("open", path: present + "/x", errno: ENOENT)))
        #expect(FailureClassification.classify(missing, checkpoint: present).status == .rejected, "ENOENT inside a present checkpoint is not transient")
        #expect(FailureClassification.classify(broken, checkpoint: "/nowhere/checkpoint-1").status == .vanished)
    }
}

extension FailureClassificationTests {
    @Test func aCheckpointTruncatedWhileRead_isRejected() {
        let file = present + "/model.safetensors"
        let cut = DriftError(checkpoint: present, reason: .file(SafeTensorsError(path: file, reason: .truncatedWhileReading(tensor: "w", needed: 100, size: 10))))
        let (status, message) = FailureClassification.classify(cut, checkpoint: present)
        #expect(status == .rejected)
        #expect(message.contains("truncated while it was read"))
        let hashed = CheckpointError(checkpoint: present, reason: .file(SafeTensorsError(path: file, reason: .truncatedWhileReading(tensor: "w", needed: 100, size: 10))))
        #expect(FailureClassification.classify(hashed, checkpoint: present).status == .rejected)
    }
}
