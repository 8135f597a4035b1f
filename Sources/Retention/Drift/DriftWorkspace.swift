import Linalg
import SafeTensors

/// Buffers reused across the modules of a pass, so memory is the largest module, not
/// the model: two weight-sized F32 buffers, the `m × k` product and two vectors.
final class DriftWorkspace {
    private(set) var capacity = 0
    private(set) var w0 = UnsafeMutableBufferPointer<Float>.allocate(capacity: 0)
    private(set) var w1 = UnsafeMutableBufferPointer<Float>.allocate(capacity: 0)
    private var product: [Float] = []
    private var vector: [Float] = []

    deinit {
        w0.deallocate()
        w1.deallocate()
    }

    /// Makes room for `elements` per weight buffer.
    func reserve(_ elements: Int) {
        guard elements > capacity else { return }
        w0.deallocate()
        w1.deallocate()
        w0 = .allocate(capacity: elements)
        w1 = .allocate(capacity: elements)
        capacity = elements
    }

    /// `P = W Fᵀ` (`m × k`) for `W` stored at `weights`; returns `‖P[:, i]‖²` per factor.
    func factorEnergies(_ weights: UnsafePointer<Float>, _ geometry: ModuleGeometry, _ site: SiteProfile) -> [Double] {
        let (m, k) = (geometry.outputs, site.rank)
        if product.count < m * k { product = [Float](repeating: 0, count: m * k) }
        let (w, transpose) = geometry.operand(weights)
        site.factors.withView { f in
            product.withUnsafeMutableBufferPointer { p in
                BLAS.gemm(w, transpose, f, .transpose, into: MutableMatrixView(p.baseAddress!, rows: m, cols: k))
            }
        }
        return Self.columnEnergies(product, rows: m, cols: k)
    }

    /// `‖W μ‖` for `W` stored at `weights`.
    func meanOutputNorm(_ weights: UnsafePointer<Float>, _ geometry: ModuleGeometry, _ site: SiteProfile) -> Double {
        let m = geometry.outputs
        if vector.count < m { vector = [Float](repeating: 0, count: m) }
        let (w, transpose) = geometry.operand(weights)
        site.mean.withUnsafeBufferPointer { mu in
            vector.withUnsafeMutableBufferPointer { y in
                BLAS.gemm(w, transpose, MatrixView(mu.baseAddress!, rows: geometry.inputs, cols: 1), .none,
                          into: MutableMatrixView(y.baseAddress!, rows: m, cols: 1))
            }
        }
        return vector.withUnsafeBufferPointer { Reductions.sumOfSquares(UnsafeBufferPointer(rebasing: $0[0..<m])) }.squareRoot()
    }

    /// Σ over rows of each column's squares, in F64.
    static func columnEnergies(_ p: [Float], rows m: Int, cols k: Int) -> [Double] {
        var columns = [Double](repeating: 0, count: k)
        p.withUnsafeBufferPointer { p in
            for r in 0..<m {
                let row = p.baseAddress! + r * k
                for i in 0..<k { columns[i] += Double(row[i]) * Double(row[i]) }
            }
        }
        return columns
    }

    /// Converts `tensor` of `file` to F32 into `buffer` (which must hold it).
    static func load(_ file: SafeTensorsFile, _ tensor: TensorInfo, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        try file.readFloat32(tensor, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<tensor.elementCount]))
    }
}
