import Linalg
import SafeTensors

/// `Δ = W1 − W0` in F32 (docs/spec.md §1), formed in cache-sized chunks: each chunk of
/// both weights is read (`pread`), widened, subtracted and squared while it is still in
/// L2, so forming `Δ` costs one read of each stored weight and one write of the (small,
/// reused) block buffer.
enum DeltaKernel {
    /// Elements per chunk: 32K (128 KiB of F32 per side), a few hundred KiB of L2 in all,
    /// and large enough that the two `pread`s per chunk cost little beside the copy.
    static let chunk = 32 * 1024

    /// Writes `Δ` for stored elements `elements` into `delta` (and `W0` into `base` when
    /// given); returns `‖Δ‖²` of the range (F64).
    ///
    /// - Throws: ``SafeTensorsError`` when a file ends early (truncated while read).
    static func form(candidate: Checkpoint.Location, base: Checkpoint.Location, elements: Range<Int>,
                     into delta: UnsafeMutableBufferPointer<Float>, keepingBase w0: UnsafeMutableBufferPointer<Float>?,
                     scratch: DeltaScratch) throws(SafeTensorsError) -> Double {
        var total = 0.0
        var offset = 0
        while offset < elements.count {
            let n = min(chunk, elements.count - offset)
            let e = elements.lowerBound + offset
            let out = UnsafeMutableBufferPointer(rebasing: delta[offset..<(offset + n)])
            let old = w0.map { UnsafeMutableBufferPointer(rebasing: $0[offset..<(offset + n)]) } ?? UnsafeMutableBufferPointer(rebasing: scratch.base[0..<n])
            try candidate.file.readFloat32(candidate.tensor, elements: e..<(e + n), into: out, staging: scratch.stored)
            try base.file.readFloat32(base.tensor, elements: e..<(e + n), into: old, staging: scratch.stored)
            let d = out.baseAddress!, b = old.baseAddress!
            for i in 0..<n { d[i] -= b[i] }
            total += Reductions.sumOfSquares(UnsafeBufferPointer(out))
            offset += n
        }
        return total
    }
}

/// The buffers ``DeltaKernel/form(candidate:base:elements:into:keepingBase:scratch:)``
/// reuses from chunk to chunk: `W0` when the caller does not keep it, and the stored
/// bytes on their way to F32.
final class DeltaScratch {
    let base = UnsafeMutableBufferPointer<Float>.allocate(capacity: DeltaKernel.chunk)
    let stored = UnsafeMutableRawBufferPointer.allocate(byteCount: DeltaKernel.chunk * 8, alignment: 64)

    deinit {
        base.deallocate()
        stored.deallocate()
    }
}
