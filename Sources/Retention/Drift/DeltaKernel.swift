import Linalg
import SafeTensors

/// `Δ = W1 − W0` in F32 (SPEC §1), formed in cache-sized chunks: both weights are
/// widened, subtracted and squared while the chunk is still in L2, so the pass costs one
/// read of each stored weight and one write of `Δ`, instead of a full-size round trip
/// through memory per step.
enum DeltaKernel {
    static let chunk = 16 * 1024

    /// Writes `Δ` into `delta` and, when given, `W0` into `base`; returns `‖Δ‖²` (F64).
    static func form(candidate: Checkpoint.Location, base: Checkpoint.Location,
                     into delta: UnsafeMutableBufferPointer<Float>, keepingBase w0: UnsafeMutableBufferPointer<Float>?) -> Double {
        let count = candidate.tensor.elementCount
        let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: chunk)
        defer { scratch.deallocate() }
        let candidateData = candidate.file.data(of: candidate.tensor)
        let baseData = base.file.data(of: base.tensor)
        let (cSize, bSize) = (candidate.tensor.dtype.size, base.tensor.dtype.size)
        var total = 0.0
        var start = 0
        while start < count {
            let n = min(chunk, count - start)
            let out = UnsafeMutableBufferPointer(rebasing: delta[start..<(start + n)])
            let old = w0.map { UnsafeMutableBufferPointer(rebasing: $0[start..<(start + n)]) } ?? UnsafeMutableBufferPointer(rebasing: scratch[0..<n])
            Float32Conversion.convert(UnsafeRawBufferPointer(rebasing: candidateData[(start * cSize)..<((start + n) * cSize)]),
                                      from: candidate.tensor.dtype, into: out)
            Float32Conversion.convert(UnsafeRawBufferPointer(rebasing: baseData[(start * bSize)..<((start + n) * bSize)]),
                                      from: base.tensor.dtype, into: old)
            let d = out.baseAddress!, b = old.baseAddress!
            for i in 0..<n { d[i] -= b[i] }
            total += Reductions.sumOfSquares(UnsafeBufferPointer(out))
            start += n
        }
        return total
    }
}
