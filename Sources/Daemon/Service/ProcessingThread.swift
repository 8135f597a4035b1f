import Foundation

/// The thread that takes checkpoints off the queue and runs the pipeline, one at a
/// time: the work is memory-bandwidth bound, and BLAS already uses every core inside a
/// step. A thread of its own keeps minutes-long passes off Swift's cooperative pool.
final class ProcessingThread: @unchecked Sendable {
    private let queue: CandidateQueue
    private let pipeline: Pipeline
    private let done = DispatchSemaphore(value: 0)

    init(queue: CandidateQueue, pipeline: Pipeline) {
        self.queue = queue
        self.pipeline = pipeline
    }

    func start() {
        let thread = Thread { [self] in
            while let candidate = queue.take() { pipeline.process(candidate) }
            done.signal()
        }
        thread.name = "retaind-pipeline"
        thread.start()
    }

    /// Waits until the queue is closed and the checkpoint in progress is done.
    func join() { done.wait() }
}
