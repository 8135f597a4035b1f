import Foundation

/// Elementwise kernels of the forward pass (softmax, SiLU, log-sum-exp) in 16-lane SIMD.
/// A scalar `expf` call per element cost as much as a third of the BLAS time of a
/// SmolLM2 pass; these loops vectorise in the baseline ISA.
public enum VectorMath {
    /// `eˣ` in each lane, within 2 ulp of `expf` where the result is a normal float
    /// (Cephes' range reduction and degree-6 polynomial); inputs below −87.3 give
    /// ≈ 1.2e−38 rather than a subnormal, above 88.3 give ≈ 2e38 rather than ∞; NaN stays NaN.
    @inlinable @inline(__always)
    public static func exp(_ input: SIMD16<Float>) -> SIMD16<Float> {
        // Masks and blends, not `clamped`: its NaN-aware lane loop does not vectorise.
        let low = SIMD16<Float>(repeating: -87.3), high = SIMD16<Float>(repeating: 88.3)
        let x = input.replacing(with: low, where: input .< low).replacing(with: high, where: input .> high)
        // n = round(x / ln 2): adding 1.5 · 2²³ rounds to an integer held in the low mantissa bits.
        let magic = SIMD16<Float>(repeating: 12_582_912)
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = SIMD16<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let y = p * (r * r) + r + 1
        let exponent = (unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- unsafeBitCast(magic, to: SIMD16<Int32>.self) &+ 127) &<< 23
        let result = y * unsafeBitCast(exponent, to: SIMD16<Float>.self)
        return result.replacing(with: input, where: input .!= input)
    }

    /// `values[i] ← e^(values[i] − shift)` over `count` floats, in place.
    public static func exp(_ values: UnsafeMutablePointer<Float>, count: Int, minus shift: Float = 0) {
        var i = 0
        while i + 16 <= count {
            let raw = UnsafeMutableRawPointer(values + i)
            raw.storeBytes(of: exp(raw.loadUnaligned(as: SIMD16<Float>.self) - shift), as: SIMD16<Float>.self)
            i += 16
        }
        if i < count {
            var tail = SIMD16<Float>(repeating: 0)
            for j in i..<count { tail[j - i] = values[j] - shift }
            tail = exp(tail)
            for j in i..<count { values[j] = tail[j - i] }
        }
    }

    /// The largest of `count` floats (−∞ when empty).
    public static func maximum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(values + i).loadUnaligned(as: SIMD16<Float>.self)
            lanes.replace(with: v, where: v .> lanes)
            i += 16
        }
        var peak = lanes.max()
        while i < count { peak = Swift.max(peak, values[i]); i += 1 }
        return peak
    }

    /// `log Σ eˣ` of `count` floats, the sum of F32 exponentials accumulated in F64 every
    /// 1 024 elements (docs/spec.md §8: a perplexity's log-partition per position).
    public static func logSumExp(_ values: UnsafePointer<Float>, count: Int) -> Double {
        let peak = maximum(values, count: count)
        guard peak.isFinite else { return Double(peak) }
        var total = 0.0
        var start = 0
        while start < count {
            let end = Swift.min(start + 1024, count)
            var lanes = SIMD16<Float>(repeating: 0)
            var i = start
            while i + 16 <= end {
                lanes += exp(UnsafeRawPointer(values + i).loadUnaligned(as: SIMD16<Float>.self) - peak)
                i += 16
            }
            var partial = Double(lanes.sum())
            if i < end {
                var tail = SIMD16<Float>(repeating: -.infinity)
                for j in i..<end { tail[j - i] = values[j] - peak }
                partial += Double(exp(tail).replacing(with: 0, where: tail .== -.infinity).sum())
            }
            total += partial
            start = end
        }
        return Double(peak) + Foundation.log(total)
    }

    /// `gate[i] ← silu(gate[i]) · up[i]` (`silu(g) = g / (1 + e⁻ᵍ)`), the gated MLP's
    /// activation, over `count` floats.
    public static func siluProduct(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            let raw = UnsafeMutableRawPointer(gate + i)
            let g = raw.loadUnaligned(as: SIMD16<Float>.self)
            let u = UnsafeRawPointer(up + i).loadUnaligned(as: SIMD16<Float>.self)
            raw.storeBytes(of: g / (1 + exp(-g)) * u, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            let g = gate[i]
            gate[i] = g / (1 + exp(SIMD16(repeating: -g))[0]) * up[i]
            i += 1
        }
    }

    /// `x[i] ← x[i] + y[i]` over `count` floats.
    public static func add(_ y: UnsafePointer<Float>, to x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            let raw = UnsafeMutableRawPointer(x + i)
            raw.storeBytes(of: raw.loadUnaligned(as: SIMD16<Float>.self) + UnsafeRawPointer(y + i).loadUnaligned(as: SIMD16<Float>.self),
                           as: SIMD16<Float>.self)
            i += 16
        }
        while i < count { x[i] += y[i]; i += 1 }
    }
}
