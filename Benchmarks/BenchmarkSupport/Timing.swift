#if canImport(Glibc)
import Glibc
#endif

/// Monotonic seconds, for timing benchmark passes.
public func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// The median wall time of `repeats` runs of `body` (given the run's index): steadier
/// than the mean on a shared machine.
public func medianSeconds(repeats: Int, _ body: (Int) throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for i in 0..<repeats {
        let start = now()
        try body(i)
        times.append(now() - start)
    }
    return times.sorted()[times.count / 2]
}
