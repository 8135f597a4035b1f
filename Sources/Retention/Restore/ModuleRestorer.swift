import Linalg
import SafeTensors

/// Restores one full-weight module: `Δ` formed in F32, corrected, added to `W0`, rounded
/// to the output dtype, and measured again on what the rounding left (SPEC §4: figures
/// are those of the written weights).
final class ModuleRestorer {
    /// Energies of one module, before and after.
    struct Outcome {
        var retainEnergyAfter = 0.0
        var deltaSquaredNorm = 0.0
        var writtenSquaredNorm = 0.0
        var forgetEnergyBefore = 0.0
        var forgetEnergyAfter = 0.0
        /// Retain energy of the update had it been written in F32 (with `measureUnrounded`).
        var retainEnergyUnrounded = 0.0
    }

    private var delta: [Float] = []
    private var base: [Float] = []
    private var written: [UInt8] = []
    private let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: DeltaKernel.chunk)

    deinit { scratch.deallocate() }

    /// Processes `candidate` against `base`; appends the restored bytes (in `dtype`) to
    /// `writer` when given.
    func restore(candidate: Checkpoint.Location, base b: Checkpoint.Location, geometry: ModuleGeometry,
                 retain: SiteProfile, forget: SiteProfile?, correction: SiteCorrection,
                 dtype: DType, writer: SafeTensorsWriter?, measureUnrounded: Bool = false) throws -> Outcome {
        let n = geometry.elementCount
        let storedRows = b.tensor.shape[0]
        if delta.count < n { delta = [Float](repeating: 0, count: n); base = delta }
        if written.count < n * dtype.size { written = [UInt8](repeating: 0, count: n * dtype.size) }
        var outcome = Outcome()
        try delta.withUnsafeMutableBufferPointer { deltaBuffer in
            try base.withUnsafeMutableBufferPointer { baseBuffer in
                try written.withUnsafeMutableBytes { bytes in
                    let d = UnsafeMutableBufferPointer(rebasing: deltaBuffer[0..<n])
                    let w0 = UnsafeMutableBufferPointer(rebasing: baseBuffer[0..<n])
                    let out = UnsafeMutableRawBufferPointer(rebasing: bytes[0..<(n * dtype.size)])
                    outcome.deltaSquaredNorm = DeltaKernel.form(candidate: candidate, base: b, elements: 0..<n, into: d,
                                                                keepingBase: w0, scratch: scratch)
                    if let forget {
                        var products = ModuleProducts(geometry, rank: forget.rank)
                        products.accumulate(d.baseAddress!, rows: 0..<storedRows, site: forget)
                        outcome.forgetEnergyBefore = products.factorEnergies.reduce(0, +)
                    }
                    Self.correct(d, geometry, correction)
                    // W_r = W0 + D, rounded; then D_w = W_r − W0 from what is stored.
                    for i in 0..<n { d[i] += w0[i] }
                    if measureUnrounded {
                        // The F32 alternative, for the `auto` dtype rule, in the same pass.
                        var exact = [Float](repeating: 0, count: n)
                        for i in 0..<n { exact[i] = d[i] - w0[i] }
                        var products = ModuleProducts(geometry, rank: retain.rank)
                        exact.withUnsafeBufferPointer { products.accumulate($0.baseAddress!, rows: 0..<storedRows, site: retain) }
                        outcome.retainEnergyUnrounded = products.factorEnergies.reduce(0, +)
                    }
                    Float32Conversion.narrow(UnsafeBufferPointer(d), to: dtype, into: out)
                    if let writer { try writer.append(UnsafeRawBufferPointer(out)) }
                    Float32Conversion.convert(UnsafeRawBufferPointer(out), from: dtype, into: d)
                    for i in 0..<n { d[i] -= w0[i] }
                    outcome.writtenSquaredNorm = Reductions.sumOfSquares(UnsafeBufferPointer(d))
                    var retained = ModuleProducts(geometry, rank: retain.rank)
                    retained.accumulate(d.baseAddress!, rows: 0..<storedRows, site: retain)
                    outcome.retainEnergyAfter = retained.factorEnergies.reduce(0, +)
                    if let forget {
                        var products = ModuleProducts(geometry, rank: forget.rank)
                        products.accumulate(d.baseAddress!, rows: 0..<storedRows, site: forget)
                        outcome.forgetEnergyAfter = products.factorEnergies.reduce(0, +)
                    }
                }
            }
        }
        return outcome
    }

    /// Applies the correction on the input dimension, whichever way the weight is stored.
    static func correct(_ stored: UnsafeMutableBufferPointer<Float>, _ geometry: ModuleGeometry, _ correction: SiteCorrection) {
        let (m, d) = (geometry.outputs, geometry.inputs)
        switch geometry.layout {
        case .outIn:
            correction.apply(to: stored, rows: m)
        case .inOut:
            // Stored [d, m] is Wᵀ: correct W = storedᵀ, then store it back transposed.
            var w = [Float](repeating: 0, count: m * d)
            for i in 0..<d { for j in 0..<m { w[j * d + i] = stored[i * m + j] } }
            w.withUnsafeMutableBufferPointer { correction.apply(to: $0, rows: m) }
            for i in 0..<d { for j in 0..<m { stored[i * m + j] = w[j * d + i] } }
        }
    }
}
