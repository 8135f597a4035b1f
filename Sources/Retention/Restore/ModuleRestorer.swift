import Linalg
import SafeTensors

/// Restores one full-weight module: `Δ` formed in F32, corrected, added to `W0`, rounded
/// to the output dtype, and measured again on what the rounding left (docs/spec.md §4: figures
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
    private var exact: [Float] = []
    private let scratch = DeltaScratch()
    /// Target elements per row block.
    let blockElements: Int

    init(blockElements: Int = DriftWorkspace.defaultBlockElements) {
        self.blockElements = blockElements
    }

    /// Processes `candidate` against `base`; appends the restored bytes (in `dtype`) to
    /// `writer` when given. `[out, in]` weights stream in row blocks of about 1M elements
    /// (the correction acts on each row alone), so every step after reading happens in
    /// cache; `[in, out]` weights are processed whole.
    func restore(candidate: Checkpoint.Location, base b: Checkpoint.Location, geometry: ModuleGeometry,
                 retain: SiteProfile, forget: SiteProfile?, correction: SiteCorrection,
                 dtype: DType, writer: SafeTensorsWriter?, measureUnrounded: Bool = false) throws -> Outcome {
        let storedRows = b.tensor.shape[0], storedColumns = b.tensor.shape[1]
        let rowsPerBlock = geometry.layout == .outIn ? max(1, self.blockElements / storedColumns) : storedRows
        let blockElements = rowsPerBlock * storedColumns
        if delta.count < blockElements { delta = [Float](repeating: 0, count: blockElements); base = delta }
        if written.count < blockElements * dtype.size { written = [UInt8](repeating: 0, count: blockElements * dtype.size) }
        var forgetBefore = forget.map { ModuleProducts(geometry, rank: $0.rank) }
        var forgetAfter = forget.map { ModuleProducts(geometry, rank: $0.rank) }
        var retainAfter = ModuleProducts(geometry, rank: retain.rank)
        var retainUnrounded = measureUnrounded ? ModuleProducts(geometry, rank: retain.rank) : nil
        var outcome = Outcome()
        for start in stride(from: 0, to: storedRows, by: rowsPerBlock) {
            let rows = start..<min(start + rowsPerBlock, storedRows)
            let n = rows.count * storedColumns
            let elements = (rows.lowerBound * storedColumns)..<(rows.upperBound * storedColumns)
            try delta.withUnsafeMutableBufferPointer { deltaBuffer in
                try base.withUnsafeMutableBufferPointer { baseBuffer in
                    try written.withUnsafeMutableBytes { bytes in
                        let d = UnsafeMutableBufferPointer(rebasing: deltaBuffer[0..<n])
                        let w0 = UnsafeMutableBufferPointer(rebasing: baseBuffer[0..<n])
                        let out = UnsafeMutableRawBufferPointer(rebasing: bytes[0..<(n * dtype.size)])
                        outcome.deltaSquaredNorm += try DeltaKernel.form(candidate: candidate, base: b, elements: elements, into: d,
                                                                     keepingBase: w0, scratch: scratch)
                        if let f = forget { forgetBefore!.accumulate(d.baseAddress!, rows: rows, site: f) }
                        Self.correct(d, rows: rows.count, geometry, correction)
                        if retainUnrounded != nil {
                            // The F32 alternative, for the `auto` dtype rule, in the same pass:
                            // (W0 + D) − W0 in F32.
                            if exact.count < n { exact = [Float](repeating: 0, count: n) }
                            exact.withUnsafeMutableBufferPointer { e in
                                for i in 0..<n { e[i] = (d[i] + w0[i]) - w0[i] }
                                retainUnrounded!.accumulate(e.baseAddress!, rows: rows, site: retain)
                            }
                        }
                        // W_r = W0 + D, rounded; then D_w = W_r − W0 from what is stored.
                        for i in 0..<n { d[i] += w0[i] }
                        Float32Conversion.narrow(UnsafeBufferPointer(d), to: dtype, into: out)
                        if let writer { try writer.append(UnsafeRawBufferPointer(out)) }
                        Float32Conversion.convert(UnsafeRawBufferPointer(out), from: dtype, into: d)
                        for i in 0..<n { d[i] -= w0[i] }
                        outcome.writtenSquaredNorm += Reductions.sumOfSquares(UnsafeBufferPointer(d))
                        retainAfter.accumulate(d.baseAddress!, rows: rows, site: retain)
                        if let f = forget { forgetAfter!.accumulate(d.baseAddress!, rows: rows, site: f) }
                    }
                }
            }
        }
        outcome.retainEnergyAfter = retainAfter.factorEnergies.reduce(0, +)
        outcome.retainEnergyUnrounded = retainUnrounded?.factorEnergies.reduce(0, +) ?? 0
        outcome.forgetEnergyBefore = forgetBefore?.factorEnergies.reduce(0, +) ?? 0
        outcome.forgetEnergyAfter = forgetAfter?.factorEnergies.reduce(0, +) ?? 0
        return outcome
    }

    /// Applies the correction on the input dimension, whichever way the weight is stored.
    static func correct(_ stored: UnsafeMutableBufferPointer<Float>, rows: Int, _ geometry: ModuleGeometry, _ correction: SiteCorrection) {
        let (m, d) = (geometry.outputs, geometry.inputs)
        switch geometry.layout {
        case .outIn:
            correction.apply(to: stored, rows: rows)
        case .inOut:
            // Stored [d, m] is Wᵀ: correct W = storedᵀ, then store it back transposed.
            var w = [Float](repeating: 0, count: m * d)
            w.withUnsafeMutableBufferPointer { w in
                transposeCopy(UnsafeBufferPointer(stored), rows: d, cols: m, into: w)
                correction.apply(to: w, rows: m)
                transposeCopy(UnsafeBufferPointer(w), rows: m, cols: d, into: stored)
            }
        }
    }
}
