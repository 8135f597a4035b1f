import ServiceLifecycle

/// Keeps the watcher running (its first scan was done before `READY=1`) and stops its
/// thread on graceful shutdown.
struct WatcherService: Service {
    let watcher: Watcher

    func run() async throws {
        try? await gracefulShutdown()
        await blocking { watcher.stop() }
    }
}
