import Journal
import Logging
import ServiceLifecycle
import UnixSignals

/// SIGUSR1, sent by `retaind retry` after it marked an outcome to redo: the watcher
/// looks at every checkpoint again now instead of at its next rescan.
struct RetryRequestService: Service {
    let requests: UnixSignalsSequence
    let watcher: Watcher
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in requests {
                logger.info("retry requested; looking at every checkpoint again")
                watcher.reconsiderAll()
            }
        }
    }
}
