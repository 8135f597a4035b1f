import Dispatch

/// Splitting the non-BLAS parts of a pass across the cores BLAS uses, so they do not
/// run on one core while OpenBLAS's other threads spin waiting for the next product.
public enum Parallel {
    /// Runs `body` on contiguous ranges that cover `0..<count`, one per worker (by default
    /// one per BLAS thread), concurrently; ranges are at least `minimumChunk` long, so
    /// small work stays on the calling thread. `body` must only write what its range owns.
    public static func forEachChunk(_ count: Int, minimumChunk: Int, workers: Int = BLAS.threads, _ body: (Range<Int>) -> Void) {
        let chunks = min(workers, max(1, count / max(1, minimumChunk)))
        guard chunks > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = UnsafeSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                shared.value(count * chunk / chunks..<count * (chunk + 1) / chunks)
            }
        }
    }
}

/// A value handed to the worker threads of ``Parallel/forEachChunk(_:minimumChunk:_:)``,
/// whose chunks write disjoint memory.
private struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
