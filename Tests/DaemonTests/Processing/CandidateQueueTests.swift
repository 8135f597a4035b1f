@testable import Daemon
import Foundation
import Testing

/// The bounded queue between watcher and pipeline.
struct CandidateQueueTests {
    func candidate(_ path: String, signature: String = "s") -> Candidate {
        Candidate(path: path, watch: "w", root: "/r", signature: signature, detectedAt: Date())
    }

    @Test func full_refusesNewPaths_butReplacesQueuedOnes() {
        let queue = CandidateQueue(capacity: 2)
        #expect(queue.offer(candidate("/r/a")))
        #expect(queue.offer(candidate("/r/b")))
        #expect(!queue.offer(candidate("/r/c")), "over capacity: the watcher offers it again later")
        #expect(queue.offer(candidate("/r/a", signature: "newer")), "a newer version replaces the queued one")
        #expect(queue.count == 2)
        #expect(queue.take()?.signature == "newer")
        #expect(queue.take()?.path == "/r/b")
    }

    @Test func close_wakesTheConsumerWithNil() async {
        let queue = CandidateQueue()
        async let taken = Task.detached { queue.take() }.value
        try? await Task.sleep(for: .milliseconds(50))
        queue.close()
        #expect(await taken == nil)
        #expect(!queue.offer(candidate("/r/a")))
    }
}
