import COpenBLAS

/// Typed wrappers over the LAPACK routines retaind needs, all in F64 (docs/spec.md §1:
/// eigen-decompositions and small solves run in F64).
public enum LAPACK {
    /// An eigen-decomposition with eigenvalues in descending order.
    public struct Eigen: Sendable {
        /// Eigenvalues, largest first.
        public let values: [Double]
        /// Unit eigenvectors as rows (`values.count × n`), in the order of `values`.
        public let vectors: Matrix<Double>
    }

    /// All eigenpairs of the symmetric matrix `a` (only its upper triangle is read).
    ///
    /// Uses `dsyevd_work` with the documented workspace sizes, because the workspace
    /// query of `LAPACKE_dsyevd` loses precision for n ≥ 4096.
    public static func symmetricEigen(_ a: Matrix<Double>) throws(LinalgError) -> Eigen {
        precondition(a.rows == a.cols)
        let n = a.rows
        guard n > 0 else { return Eigen(values: [], vectors: Matrix(rows: 0, cols: 0)) }
        // Row-major upper = column-major lower of the same buffer; call column-major
        // with 'L' so no transpose copy is made. Eigenvectors come back as columns
        // (column-major) = rows of the row-major buffer.
        var z = a.storage
        var w = [Double](repeating: 0, count: n)
        let lwork = 1 + 6 * n + 2 * n * n
        let liwork = 3 + 5 * n
        var work = [Double](repeating: 0, count: lwork)
        var iwork = [Int32](repeating: 0, count: liwork)
        let info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "L")), Int32(n),
                                       &z, Int32(n), &w, &work, Int32(lwork), &iwork, Int32(liwork))
        guard info == 0 else { throw LinalgError(routine: "dsyevd", info: Int(info)) }
        // Ascending → descending.
        var values = [Double](repeating: 0, count: n)
        var vectors = Matrix<Double>(rows: n, cols: n)
        for i in 0..<n {
            let src = n - 1 - i
            values[i] = w[src]
            for j in 0..<n { vectors.storage[i * n + j] = z[src * n + j] }
        }
        return Eigen(values: values, vectors: vectors)
    }

    /// The `count` largest eigenpairs of the symmetric `a` (upper triangle read), via
    /// `dsyevr`, which costs far less than a full decomposition when `count ≪ n`. Past a
    /// quarter of `n`, the full divide-and-conquer decomposition is cheaper than `dsyevr`'s
    /// bisection and inverse iteration for a subset (measured: 33 against 97 ms for 257 of
    /// 576), so that is used and cut to `count`.
    public static func topEigen(_ a: Matrix<Double>, count: Int) throws(LinalgError) -> Eigen {
        precondition(a.rows == a.cols)
        let n = a.rows
        let k = min(count, n)
        guard k > 0 else { return Eigen(values: [], vectors: Matrix(rows: 0, cols: n)) }
        if 4 * k > n {
            let all = try symmetricEigen(a)
            return Eigen(values: Array(all.values.prefix(k)), vectors: Matrix(rows: k, cols: n, storage: Array(all.vectors.storage.prefix(k * n))))
        }
        var copy = a.storage
        var m: Int32 = 0
        var w = [Double](repeating: 0, count: n)
        var z = [Double](repeating: 0, count: n * k)
        var isuppz = [Int32](repeating: 0, count: 2 * max(1, k))
        let info = LAPACKE_dsyevr(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "I")), CChar(UInt8(ascii: "L")),
                                  Int32(n), &copy, Int32(n), 0, 0, Int32(n - k + 1), Int32(n), 0, &m, &w, &z, Int32(n), &isuppz)
        guard info == 0 else { throw LinalgError(routine: "dsyevr", info: Int(info)) }
        var values = [Double](repeating: 0, count: k)
        var vectors = Matrix<Double>(rows: k, cols: n)
        for i in 0..<k {
            let src = k - 1 - i
            values[i] = w[src]
            for j in 0..<n { vectors.storage[i * n + j] = z[src * n + j] }
        }
        return Eigen(values: values, vectors: vectors)
    }

    /// An orthonormal basis of the row space of `a` (`r × n`, r ≤ n), as rows: the thin
    /// QR of `aᵀ`. Rows whose contribution is below `tolerance` relative to the largest
    /// are dropped, so the result spans the numerical row space.
    public static func orthonormalRows(_ a: Matrix<Double>, tolerance: Double = 1e-10) throws(LinalgError) -> Matrix<Double> {
        let (r, n) = (a.rows, a.cols)
        guard r > 0 else { return Matrix(rows: 0, cols: n) }
        precondition(r <= n, "more rows than columns")
        // Column-major n×r matrix whose columns are a's rows = a's row-major buffer.
        var q = a.storage
        var tau = [Double](repeating: 0, count: r)
        // Column pivoting so near-dependent rows go last and can be dropped.
        var jpvt = [Int32](repeating: 0, count: r)
        var info = LAPACKE_dgeqp3(LAPACK_COL_MAJOR, Int32(n), Int32(r), &q, Int32(n), &jpvt, &tau)
        guard info == 0 else { throw LinalgError(routine: "dgeqp3", info: Int(info)) }
        let largest = abs(q[0])
        var rank = 0
        while rank < r && abs(q[rank * n + rank]) > tolerance * largest { rank += 1 }
        guard rank > 0 else { return Matrix(rows: 0, cols: n) }
        info = LAPACKE_dorgqr(LAPACK_COL_MAJOR, Int32(n), Int32(rank), Int32(rank), &q, Int32(n), &tau)
        guard info == 0 else { throw LinalgError(routine: "dorgqr", info: Int(info)) }
        return Matrix(rows: rank, cols: n, storage: Array(q.prefix(rank * n)))
    }

    /// Solves `a · x = b` for `x` (`a` n×n symmetric positive definite, upper triangle
    /// read, as ``BLAS/syrk(_:into:alpha:beta:)`` fills it; `b` n×m), by Cholesky: half of
    /// LU's work, and no pivoting. `b` is solved in place in its row-major layout with two
    /// triangular solves (LAPACKE's row-major `dposv` would transpose both operands).
    public static func solveSymmetricPositive(_ a: Matrix<Double>, _ b: Matrix<Double>) throws(LinalgError) -> Matrix<Double> {
        precondition(a.rows == a.cols && b.rows == a.rows)
        let n = a.rows, m = b.cols
        guard n > 0 && m > 0 else { return b }
        // Row-major upper = column-major lower: a = L Lᵀ there, i.e. a = Rᵀ R with the
        // row-major upper R = Lᵀ.
        var factor = a.storage
        let info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), &factor, Int32(n))
        guard info == 0 else { throw LinalgError(routine: "dpotrf", info: Int(info)) }
        var x = b.storage
        factor.withUnsafeBufferPointer { r in
            x.withUnsafeMutableBufferPointer { x in
                // Rᵀ y = b, then R x = y.
                cblas_dtrsm(CblasRowMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, Int32(n), Int32(m), 1,
                            r.baseAddress, Int32(n), x.baseAddress, Int32(m))
                cblas_dtrsm(CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, Int32(n), Int32(m), 1,
                            r.baseAddress, Int32(n), x.baseAddress, Int32(m))
            }
        }
        return Matrix(rows: n, cols: m, storage: x)
    }

    /// Solves `x · a = b` for `x` (`a` n×n, `b` m×n), i.e. `x = b · a⁻¹`, by LU.
    public static func solveRight(_ a: Matrix<Double>, _ b: Matrix<Double>) throws(LinalgError) -> Matrix<Double> {
        precondition(a.rows == a.cols && b.cols == a.rows)
        let n = a.rows
        let m = b.rows
        guard n > 0 && m > 0 else { return b }
        // x a = b  ⇔  aᵀ xᵀ = bᵀ. Row-major a read as column-major is aᵀ; row-major b as
        // column-major n×m is bᵀ, and the solution xᵀ comes back the same way.
        var lu = a.storage
        var rhs = b.storage
        var ipiv = [Int32](repeating: 0, count: n)
        let info = LAPACKE_dgesv(LAPACK_COL_MAJOR, Int32(n), Int32(m), &lu, Int32(n), &ipiv, &rhs, Int32(n))
        guard info == 0 else { throw LinalgError(routine: "dgesv", info: Int(info)) }
        return Matrix(rows: m, cols: n, storage: rhs)
    }
}
