import Synchronization

/// The checkpoint the processor is working on, if any: the watcher never offers it again
/// while it is in flight (a `retaind retry` makes the watcher look at everything).
final class InFlight: Sendable {
    private let path = Mutex<String?>(nil)

    /// Marks `candidate` in flight until `end()`.
    func begin(_ candidate: String) { path.withLock { $0 = candidate } }

    func end() { path.withLock { $0 = nil } }

    /// Whether `candidate` is the one in flight.
    func contains(_ candidate: String) -> Bool { path.withLock { $0 == candidate } }
}
