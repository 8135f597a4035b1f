import Linalg

/// `P = W Fᵀ` (`m × k`) and `W μ` (`m`) of one module, accumulated from row blocks of
/// the stored weight, so a module never needs a full-size F32 copy: each block is formed
/// in cache and handed to BLAS while it is still there.
///
/// For `[out, in]` storage a block of stored rows is a block of output rows (its rows
/// of `P` are written); for `[in, out]` (Conv1D) it is a block of input dimensions (its
/// contribution is added to all of `P`).
struct ModuleProducts {
    let geometry: ModuleGeometry
    let rank: Int
    private(set) var product: [Float]
    private(set) var meanOutput: [Float]

    init(_ geometry: ModuleGeometry, rank k: Int) {
        self.geometry = geometry
        self.rank = k
        product = [Float](repeating: 0, count: geometry.outputs * k)
        meanOutput = [Float](repeating: 0, count: geometry.outputs)
    }

    /// Adds stored rows `rows` (held at `block`, row-major, full stored width).
    mutating func accumulate(_ block: UnsafePointer<Float>, rows: Range<Int>, site: SiteProfile) {
        let (m, d, k) = (geometry.outputs, geometry.inputs, site.rank)
        let b = rows.count
        site.factors.withView { f in
            site.mean.withUnsafeBufferPointer { mu in
                product.withUnsafeMutableBufferPointer { p in
                    meanOutput.withUnsafeMutableBufferPointer { y in
                        switch geometry.layout {
                        case .outIn:
                            let w = MatrixView(block, rows: b, cols: d)
                            BLAS.gemm(w, .none, f, .transpose, into: MutableMatrixView(p.baseAddress! + rows.lowerBound * k, rows: b, cols: k))
                            BLAS.gemm(w, .none, MatrixView(mu.baseAddress!, rows: d, cols: 1), .none,
                                      into: MutableMatrixView(y.baseAddress! + rows.lowerBound, rows: b, cols: 1))
                        case .inOut:
                            let w = MatrixView(block, rows: b, cols: m)  // rows are input dimensions
                            let fBlock = MatrixView(f.base + rows.lowerBound, rows: k, cols: b, rowStride: d)
                            BLAS.gemm(w, .transpose, fBlock, .transpose, into: MutableMatrixView(p.baseAddress!, rows: m, cols: k), beta: 1)
                            BLAS.gemm(w, .transpose, MatrixView(mu.baseAddress! + rows.lowerBound, rows: b, cols: 1), .none,
                                      into: MutableMatrixView(y.baseAddress!, rows: m, cols: 1), beta: 1)
                        }
                    }
                }
            }
        }
    }

    /// `‖P[:, i]‖²` per factor (F64).
    var factorEnergies: [Double] {
        Self.columnEnergies(product, rows: geometry.outputs, cols: rank)
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

    /// `‖W μ‖`.
    var meanOutputNorm: Double {
        meanOutput.withUnsafeBufferPointer { Reductions.sumOfSquares($0) }.squareRoot()
    }
}
