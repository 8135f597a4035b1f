import Foundation
import ServiceLifecycle

/// Takes checkpoints off the queue and processes them, one at a time, on a thread of its
/// own: the work is memory-bandwidth bound, BLAS already uses every core inside a step,
/// and minutes-long passes must stay off Swift's cooperative pool.
///
/// On graceful shutdown the checkpoint in progress is finished (its output is atomic
/// either way) and nothing new is started.
struct ProcessingService: Service {
    let queue: CandidateQueue
    let processor: Processor

    func run() async throws {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread { [queue, processor] in
            while let candidate = queue.take() { processor.process(candidate) }
            done.signal()
        }
        thread.name = "retaind-processing"
        thread.start()
        try? await gracefulShutdown()
        await blocking {
            queue.close()
            done.wait()
        }
    }
}
