import Synchronization

/// Loaded bases by the files they came from, so watches sharing a base share one load,
/// and a reload reuses what did not change.
final class ContextCache: Sendable {
    private let contexts = Mutex<[BaseContext.Key: BaseContext]>([:])

    /// The context for `watch`'s files as they are now, loading it if needed.
    func context(for watch: Configuration.Watch) throws(DaemonError) -> BaseContext {
        let key = BaseContext.key(for: watch)
        if let cached = contexts.withLock({ $0[key] }) { return cached }
        let loaded = try BaseContext.load(for: watch)
        contexts.withLock { $0[loaded.key] = loaded }
        return loaded
    }

    /// Drops contexts no active watch uses (their mappings are released).
    func keep(_ keys: [BaseContext.Key]) {
        let wanted = Set(keys)
        contexts.withLock { $0 = $0.filter { wanted.contains($0.key) } }
    }
}
