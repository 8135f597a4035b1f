import Foundation

/// Runs blocking work (file reads, thread joins) on a thread of its own, off Swift's
/// cooperative pool, and awaits its result.
func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}
