import Foundation
import Synchronization

/// Who has changed OpenBLAS's process-wide thread count, so that changes overlapping on
/// different threads (a reload's evaluation beside a checkpoint's pass) undo correctly:
/// the count from before the first single-threaded section comes back when the last one
/// ends, and an all-cores section inside one leaves the count to that section.
struct BLASThreadLedger {
    private(set) var singleThreaded = 0
    private var restore = 0

    /// A single-threaded section starts while BLAS has `current` threads: the count to set, if any.
    mutating func enterSingleThreaded(current: Int) -> Int? {
        singleThreaded += 1
        guard singleThreaded == 1 else { return nil }
        restore = current
        return 1
    }

    /// A single-threaded section ends: the count to set, if any.
    mutating func leaveSingleThreaded() -> Int? {
        singleThreaded -= 1
        return singleThreaded == 0 ? restore : nil
    }

    /// An all-cores section (`all` threads) starts while BLAS has `current`: the count to
    /// set, or nil inside a single-threaded section, whose end then gives all the cores.
    mutating func enterAllCores(_ all: Int, current: Int) -> Int? {
        guard singleThreaded == 0 else {
            restore = max(restore, all)
            return nil
        }
        return all
    }

    /// An all-cores section that set the count ends: the count to set (`previous`), or
    /// nil while a single-threaded section is open (its end restores `previous`).
    mutating func leaveAllCores(previous: Int) -> Int? {
        guard singleThreaded == 0 else {
            restore = previous
            return nil
        }
        return previous
    }
}

private let ledger = Mutex(BLASThreadLedger())

extension BLAS {
    /// Runs `body` with OpenBLAS on one thread: each call then runs on its caller's
    /// thread, so several threads can each run small products at once.
    public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        ledger.withLock { if let count = $0.enterSingleThreaded(current: threads) { setThreads(count) } }
        defer { ledger.withLock { if let count = $0.leaveSingleThreaded() { setThreads(count) } } }
        return try body()
    }

    /// Runs `body` with BLAS on every core (a pass with no hashing thread beside it, such
    /// as writing a restore), then restores the previous thread count; leaves an explicit
    /// `OPENBLAS_NUM_THREADS` alone.
    public static func withAllCores<R>(_ body: () throws -> R) rethrows -> R {
        guard ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil else { return try body() }
        let previous: Int? = ledger.withLock { ledger in
            let current = threads
            guard let count = ledger.enterAllCores(ProcessInfo.processInfo.activeProcessorCount, current: current) else { return nil }
            setThreads(count)
            return current
        }
        defer {
            if let previous { ledger.withLock { if let count = $0.leaveAllCores(previous: previous) { setThreads(count) } } }
        }
        return try body()
    }
}
