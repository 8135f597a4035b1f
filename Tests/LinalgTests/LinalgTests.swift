import Testing
import TestSupport
@testable import Linalg

extension SplitMix {
    mutating func matrix(_ r: Int, _ c: Int) -> Matrix<Double> {
        Matrix(rows: r, cols: c, storage: (0..<(r * c)).map { _ in next() })
    }
}

func naiveProduct(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Matrix<Double> {
    var c = Matrix<Double>(rows: a.rows, cols: b.cols)
    for i in 0..<a.rows { for j in 0..<b.cols { for k in 0..<a.cols { c[i, j] += a[i, k] * b[k, j] } } }
    return c
}

func maxAbs(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double {
    zip(a.storage, b.storage).map { abs($0 - $1) }.max() ?? 0
}

@Suite struct LinalgTests {
    @Test(arguments: [(BLAS.Transpose.none, BLAS.Transpose.none), (.transpose, .none), (.none, .transpose), (.transpose, .transpose)])
    func gemm_matchesNaiveProduct(transA: BLAS.Transpose, transB: BLAS.Transpose) {
        var rng = SplitMix(state: 1)
        let a = rng.matrix(7, 5), b = rng.matrix(5, 9)
        let storedA = transA == .none ? a : a.transposed
        let storedB = transB == .none ? b : b.transposed
        var c = Matrix<Double>(rows: 7, cols: 9)
        storedA.withView { av in storedB.withView { bv in c.withMutableView { BLAS.gemm(av, transA, bv, transB, into: $0) } } }
        #expect(maxAbs(c, naiveProduct(a, b)) < 1e-12)
        // F32 too, with a strided view into a larger buffer.
        let af = Matrix<Float>(rows: 7, cols: 5, storage: a.storage.map(Float.init))
        let bf = Matrix<Float>(rows: 5, cols: 9, storage: b.storage.map(Float.init))
        var wide = Matrix<Float>(rows: 7, cols: 12)
        af.withView { av in bf.withView { bv in wide.withMutableView { w in
            BLAS.gemm(av, .none, bv, .none, into: MutableMatrixView(w.base, rows: 7, cols: 9, rowStride: 12))
        } } }
        let expected = naiveProduct(a, b)
        for i in 0..<7 { for j in 0..<9 { #expect(abs(Double(wide[i, j]) - expected[i, j]) < 1e-5) } }
    }

    @Test func syrk_accumulatesGram() {
        var rng = SplitMix(state: 2)
        let x = rng.matrix(11, 6)
        var c = Matrix<Double>(rows: 6, cols: 6)
        x.withView { xv in c.withMutableView { BLAS.syrkTransposed(xv, into: $0) } }
        x.withView { xv in c.withMutableView { BLAS.syrkTransposed(xv, into: $0) } }  // beta = 1 accumulates
        let gram = naiveProduct(x.transposed, x)
        for i in 0..<6 { for j in i..<6 { #expect(abs(c[i, j] - 2 * gram[i, j]) < 1e-12) } }
    }

    @Test(arguments: [1, 5, 40])
    func symmetricEigen_reconstructsMatrix(n: Int) throws {
        var rng = SplitMix(state: UInt64(n))
        let x = rng.matrix(n + 3, n)
        let a = naiveProduct(x.transposed, x)
        let eigen = try LAPACK.symmetricEigen(a)
        #expect(eigen.values == eigen.values.sorted(by: >))
        // V Λ Vᵀ = A and V Vᵀ = I.
        var vl = eigen.vectors.transposed
        for i in 0..<n { for j in 0..<n { vl[i, j] *= eigen.values[j] } }
        #expect(maxAbs(naiveProduct(vl, eigen.vectors), a) < 1e-9 * (eigen.values.first ?? 1))
        #expect(maxAbs(naiveProduct(eigen.vectors, eigen.vectors.transposed), .identity(n)) < 1e-10)
    }

    /// 5 of 24 takes `dsyevr`'s subset path, 12 of 24 the full decomposition cut short.
    @Test(arguments: [5, 12])
    func topEigen_equalsLeadingPartOfFull(count: Int) throws {
        var rng = SplitMix(state: 9)
        let x = rng.matrix(30, 24)
        let a = naiveProduct(x.transposed, x)
        let full = try LAPACK.symmetricEigen(a)
        let top = try LAPACK.topEigen(a, count: count)
        #expect(top.values.count == count && top.vectors.rows == count && top.vectors.cols == 24)
        for i in 0..<count {
            #expect(abs(top.values[i] - full.values[i]) < 1e-9 * full.values[0])
            let dot = (0..<24).reduce(0.0) { $0 + top.vectors[i, $1] * full.vectors[i, $1] }
            #expect(abs(abs(dot) - 1) < 1e-8, "eigenvector \(i) aligned up to sign")
            // A v = λ v, independently of the full decomposition.
            for r in 0..<24 {
                let av = (0..<24).reduce(0.0) { $0 + a[r, $1] * top.vectors[i, $1] }
                #expect(abs(av - top.values[i] * top.vectors[i, r]) < 1e-9 * full.values[0])
            }
        }
    }

    @Test func orthonormalRows_spansInputAndDropsDependentRows() throws {
        var rng = SplitMix(state: 4)
        var a = rng.matrix(4, 10)
        // Row 3 = row 0 + row 1: rank 3.
        for j in 0..<10 { a[3, j] = a[0, j] + a[1, j] }
        let q = try LAPACK.orthonormalRows(a)
        #expect(q.rows == 3)
        #expect(maxAbs(naiveProduct(q, q.transposed), .identity(3)) < 1e-12)
        // Each input row lies in the span: a − (a Qᵀ) Q = 0.
        let projected = naiveProduct(naiveProduct(a, q.transposed), q)
        #expect(maxAbs(projected, a) < 1e-12)
    }

    @Test func solveRight_solvesXTimesA() throws {
        var rng = SplitMix(state: 5)
        var a = rng.matrix(6, 6)
        for i in 0..<6 { a[i, i] += 4 }
        let b = rng.matrix(3, 6)
        let x = try LAPACK.solveRight(a, b)
        #expect(maxAbs(naiveProduct(x, a), b) < 1e-12)
    }

    @Test func singularSolve_isATypedError() {
        let a = Matrix<Double>(rows: 2, cols: 2)
        #expect(throws: LinalgError.self) { try LAPACK.solveRight(a, .identity(2)) }
    }

    @Test func reductions_accumulateInDouble() {
        // 10⁷ values of 0.1: an F32 running sum drifts by percent; blocked F64 stays exact-ish.
        let x = [Float](repeating: 0.1, count: 10_000_000)
        let s = x.withUnsafeBufferPointer { Reductions.sumOfSquares($0) }
        let exact = 10_000_000 * Double(Float(0.1)) * Double(Float(0.1))
        #expect(abs(s - exact) / exact < 1e-6)
        let y = [Float](repeating: 0.3, count: 1001)
        let z = [Float](repeating: 0.1, count: 1001)
        let d = y.withUnsafeBufferPointer { yb in z.withUnsafeBufferPointer { Reductions.sumOfSquaredDifferences(yb, $0) } }
        let want = 1001 * Double(Float(0.3) - Float(0.1)) * Double(Float(0.3) - Float(0.1))
        #expect(abs(d - want) / want < 1e-6)
    }
}
