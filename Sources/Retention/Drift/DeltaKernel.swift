import Linalg
import SafeTensors

/// `Δ = W1 − W0` in F32 (docs/spec.md §1), formed in cache-sized chunks: both weights are
/// widened, subtracted and squared while the chunk is still in L2, so forming `Δ` costs
/// one read of each stored weight and one write of the (small, reused) block buffer.
enum DeltaKernel {
    static let chunk = 16 * 1024

    /// Writes `Δ` for stored elements `elements` into `delta` (and `W0` into `base` when
    /// given); returns `‖Δ‖²` of the range (F64).
    static func form(candidate: Checkpoint.Location, base: Checkpoint.Location, elements: Range<Int>,
                     into delta: UnsafeMutableBufferPointer<Float>, keepingBase w0: UnsafeMutableBufferPointer<Float>?,
                     scratch: UnsafeMutableBufferPointer<Float>) -> Double {
        let candidateData = candidate.file.data(of: candidate.tensor)
        let baseData = base.file.data(of: base.tensor)
        let (cSize, bSize) = (candidate.tensor.dtype.size, base.tensor.dtype.size)
        var total = 0.0
        var offset = 0
        while offset < elements.count {
            let n = min(chunk, elements.count - offset)
            let e = elements.lowerBound + offset
            let out = UnsafeMutableBufferPointer(rebasing: delta[offset..<(offset + n)])
            let old = w0.map { UnsafeMutableBufferPointer(rebasing: $0[offset..<(offset + n)]) } ?? UnsafeMutableBufferPointer(rebasing: scratch[0..<n])
            Float32Conversion.convert(UnsafeRawBufferPointer(rebasing: candidateData[(e * cSize)..<((e + n) * cSize)]),
                                      from: candidate.tensor.dtype, into: out)
            Float32Conversion.convert(UnsafeRawBufferPointer(rebasing: baseData[(e * bSize)..<((e + n) * bSize)]),
                                      from: base.tensor.dtype, into: old)
            let d = out.baseAddress!, b = old.baseAddress!
            for i in 0..<n { d[i] -= b[i] }
            total += Reductions.sumOfSquares(UnsafeBufferPointer(out))
            offset += n
        }
        return total
    }
}
