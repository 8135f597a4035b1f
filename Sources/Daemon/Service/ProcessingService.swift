import Foundation
import ServiceLifecycle

/// Takes checkpoints off the queue and processes them, one at a time, on a thread of its
/// own: the work is memory-bandwidth bound, BLAS already uses every core inside a step,
/// and minutes-long passes must stay off Swift's cooperative pool.
///
/// On graceful shutdown the checkpoint in progress is finished (its output is atomic
/// either way) and nothing new is started.
/// A fatal condition (``FatalStop``) closes the queue too; the service then throws it.
struct ProcessingService: Service {
    let queue: CandidateQueue
    let processor: Processor
    let fatal: FatalStop

    func run() async throws {
        let (finished, done) = AsyncStream.makeStream(of: Never.self)
        let thread = Thread { [queue, processor] in
            while let candidate = queue.take() { processor.process(candidate) }
            done.finish()
        }
        thread.name = "retaind-processing"
        thread.start()
        await withGracefulShutdownHandler {
            for await _ in finished {}
        } onGracefulShutdown: {
            queue.close()
        }
        if let error = fatal.error { throw error }
    }
}
