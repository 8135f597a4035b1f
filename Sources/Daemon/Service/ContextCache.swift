import Foundation

/// Loaded bases by the files they came from, so watches sharing a base share one load,
/// and a reload reuses what did not change.
final class ContextCache: @unchecked Sendable {
    private let lock = NSLock()
    private var contexts: [BaseContext.Key: BaseContext] = [:]

    /// The context for `watch`'s files as they are now, loading it if needed.
    func context(for watch: Configuration.Watch) throws(DaemonError) -> BaseContext {
        let key = BaseContext.key(for: watch)
        lock.lock()
        let cached = contexts[key]
        lock.unlock()
        if let cached { return cached }
        let loaded = try BaseContext.load(for: watch)
        lock.lock()
        contexts[loaded.key] = loaded
        lock.unlock()
        return loaded
    }

    /// Drops contexts no active watch uses (their mappings are released).
    func keep(_ keys: [BaseContext.Key]) {
        let wanted = Set(keys)
        lock.lock()
        contexts = contexts.filter { wanted.contains($0.key) }
        lock.unlock()
    }
}
