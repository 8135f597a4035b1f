/// Sums over F32 data with F64 accumulation (docs/spec.md §1: norms and traces accumulate in
/// F64). Blocks of 1024 elements are summed in F32 SIMD lanes and then added in F64:
/// the F32 partial sums are short enough to stay accurate, and the loop vectorises.
public enum Reductions {
    private static let block = 1024

    /// Σ xᵢ².
    public static func sumOfSquares(_ x: UnsafeBufferPointer<Float>) -> Double {
        guard let base = x.baseAddress else { return 0 }
        var total = 0.0
        var start = 0
        while start < x.count {
            let end = min(start + block, x.count)
            var acc = SIMD16<Float>()
            var i = start
            while i + 16 <= end {
                let v = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<Float>.self)
                acc += v * v  // not addProduct: without FMA in the baseline ISA it becomes an fmaf call per lane
                i += 16
            }
            var partial = Double(acc.sum())
            while i < end { partial += Double(base[i]) * Double(base[i]); i += 1 }
            total += partial
            start = end
        }
        return total
    }

    /// Σ (aᵢ − bᵢ)².
    public static func sumOfSquaredDifferences(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Double {
        precondition(a.count == b.count)
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
        var total = 0.0
        var start = 0
        while start < a.count {
            let end = min(start + block, a.count)
            var acc = SIMD16<Float>()
            var i = start
            while i + 16 <= end {
                let d = UnsafeRawPointer(pa + i).loadUnaligned(as: SIMD16<Float>.self) - UnsafeRawPointer(pb + i).loadUnaligned(as: SIMD16<Float>.self)
                acc += d * d
                i += 16
            }
            var partial = Double(acc.sum())
            while i < end { let d = Double(pa[i] - pb[i]); partial += d * d; i += 1 }
            total += partial
            start = end
        }
        return total
    }
}
