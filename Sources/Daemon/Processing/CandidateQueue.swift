import Foundation

/// The bounded queue between the watcher and the pipeline: first in, first out, one
/// entry per path.
///
/// When full, ``offer(_:)`` refuses and the watcher offers the checkpoint again later, so
/// a flood of checkpoints costs memory for at most `capacity` entries.
final class CandidateQueue: @unchecked Sendable {
    // @unchecked: every stored property is read and written under `condition`, whose
    // wait the consumer needs (a Mutex cannot wait).
    let capacity: Int
    private let condition = NSCondition()
    private var items: [Candidate] = []
    private var closed = false

    init(capacity: Int = 1024) {
        self.capacity = capacity
    }

    /// Adds `candidate` (replacing a queued entry for the same path); false when full or
    /// closed.
    func offer(_ candidate: Candidate) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        if let i = items.firstIndex(where: { $0.path == candidate.path }) {
            items[i] = candidate
            return true
        }
        guard items.count < capacity else { return false }
        items.append(candidate)
        condition.signal()
        return true
    }

    /// The next candidate, waiting for one; nil once closed.
    func take() -> Candidate? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed { condition.wait() }
        guard !closed else { return nil }
        return items.removeFirst()
    }

    /// Wakes the consumer with nil; later offers are refused.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count
    }
}
