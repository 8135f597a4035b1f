import COpenBLAS

/// The element types BLAS and LAPACK are called with.
public protocol BLASScalar: BinaryFloatingPoint & Sendable {
    static func gemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                     _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int32, _ b: UnsafePointer<Self>, _ ldb: Int32,
                     _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int32)
    static func syrk(_ trans: CBLAS_TRANSPOSE, _ n: Int32, _ k: Int32, _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int32,
                     _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int32)
}

extension Float: BLASScalar {
    public static func gemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                            _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int32, _ b: UnsafePointer<Float>, _ ldb: Int32,
                            _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int32) {
        cblas_sgemm(CblasRowMajor, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    public static func syrk(_ trans: CBLAS_TRANSPOSE, _ n: Int32, _ k: Int32, _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int32,
                            _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int32) {
        cblas_ssyrk(CblasRowMajor, CblasUpper, trans, n, k, alpha, a, lda, beta, c, ldc)
    }
}

extension Double: BLASScalar {
    public static func gemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                            _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int32, _ b: UnsafePointer<Double>, _ ldb: Int32,
                            _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int32) {
        cblas_dgemm(CblasRowMajor, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    public static func syrk(_ trans: CBLAS_TRANSPOSE, _ n: Int32, _ k: Int32, _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int32,
                            _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int32) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, trans, n, k, alpha, a, lda, beta, c, ldc)
    }
}

/// Typed wrappers over the BLAS calls retaind needs.
public enum BLAS {
    /// Whether an operand is used as stored or transposed.
    public enum Transpose: Sendable {
        case none, transpose
        var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
    }

    /// `c ← alpha · op(a) · op(b) + beta · c`.
    public static func gemm<T: BLASScalar>(
        _ a: MatrixView<T>, _ transA: Transpose = .none,
        _ b: MatrixView<T>, _ transB: Transpose = .none,
        into c: MutableMatrixView<T>, alpha: T = 1, beta: T = 0
    ) {
        let (m, k) = transA == .none ? (a.rows, a.cols) : (a.cols, a.rows)
        let (kb, n) = transB == .none ? (b.rows, b.cols) : (b.cols, b.rows)
        precondition(k == kb && c.rows == m && c.cols == n, "gemm shapes: op(a) \(m)×\(k), op(b) \(kb)×\(n), c \(c.rows)×\(c.cols)")
        guard m > 0 && n > 0 else { return }
        T.gemm(transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k), alpha, a.base, Int32(a.rowStride),
               b.base, Int32(b.rowStride), beta, c.base, Int32(c.rowStride))
    }

    /// `c ← alpha · op(a) · op(b) + beta · c` over matrices or views, each opened for the
    /// call: `BLAS.gemm(x, .none, w, .transpose, into: &y)`.
    @inlinable
    public static func gemm<T: BLASScalar, A: MatrixOperand<T>, B: MatrixOperand<T>, C: MatrixDestination<T>>(
        _ a: A, _ transA: Transpose = .none, _ b: B, _ transB: Transpose = .none,
        into c: inout C, alpha: T = 1, beta: T = 0
    ) {
        a.withView { av in b.withView { bv in c.withMutableView { gemm(av, transA, bv, transB, into: $0, alpha: alpha, beta: beta) } } }
    }

    /// `alpha · op(a) · op(b)` as a new matrix.
    @inlinable
    public static func product<T: BLASScalar, A: MatrixOperand<T>, B: MatrixOperand<T>>(
        _ a: A, _ transA: Transpose = .none, _ b: B, _ transB: Transpose = .none, alpha: T = 1
    ) -> Matrix<T> {
        let rows = a.withView { transA == .none ? $0.rows : $0.cols }
        let cols = b.withView { transB == .none ? $0.cols : $0.rows }
        var out = Matrix<T>(rows: rows, cols: cols)
        gemm(a, transA, b, transB, into: &out, alpha: alpha)
        return out
    }

    /// `c ← alpha · aᵀa + beta · c` on the upper triangle of the symmetric `c` (`a` is n×d, `c` d×d).
    public static func syrkTransposed<T: BLASScalar>(_ a: MatrixView<T>, into c: MutableMatrixView<T>, alpha: T = 1, beta: T = 1) {
        precondition(c.rows == a.cols && c.cols == a.cols)
        guard a.rows > 0 else { return }
        T.syrk(CblasTrans, Int32(a.cols), Int32(a.rows), alpha, a.base, Int32(a.rowStride), beta, c.base, Int32(c.rowStride))
    }

    /// `c ← alpha · a aᵀ + beta · c` on the upper triangle of the symmetric `c` (`a` is r×d, `c` r×r).
    public static func syrk<T: BLASScalar>(_ a: MatrixView<T>, into c: MutableMatrixView<T>, alpha: T = 1, beta: T = 1) {
        precondition(c.rows == a.rows && c.cols == a.rows)
        guard a.cols > 0 else { return }
        T.syrk(CblasNoTrans, Int32(a.rows), Int32(a.cols), alpha, a.base, Int32(a.rowStride), beta, c.base, Int32(c.rowStride))
    }

    /// Number of threads OpenBLAS uses.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets OpenBLAS's thread count for the process.
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
}

extension BLAS {
    /// The kernel family OpenBLAS picked at load time (e.g. `Haswell`, `SkylakeX`, `Prescott`).
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// A warning when OpenBLAS fell back to its baseline SSE kernels on a CPU that has
    /// AVX2 — it does on virtual CPUs whose model it does not recognise — or nil.
    /// Products then run 2–3× slower; `OPENBLAS_CORETYPE` in the environment (the
    /// systemd unit's `Environment=`) selects the right kernels, and the warning names
    /// the fastest this CPU can run: SkylakeX with AVX-512, else Haswell.
    public static var slowKernelWarning: String? {
        let core = coreName.lowercased()
        guard core == "prescott" || core == "core2" || core == "katmai" || core == "northwood" else { return nil }
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }).map({ Set($0.split(separator: " ")) }),
              flags.contains("avx2") else { return nil }
        let best = ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy { flags.contains(Substring($0)) } ? "SkylakeX" : "Haswell"
        return "OpenBLAS runs its \(coreName) kernels on a CPU with \(best == "SkylakeX" ? "AVX-512" : "AVX2"); set OPENBLAS_CORETYPE=\(best) for 2–3× faster passes (drift, restore, evaluation)"
    }
}

import Foundation

extension BLAS {
    /// Gives BLAS every core, unless `OPENBLAS_NUM_THREADS` says otherwise; returns the
    /// thread count set. The hashing thread beside a pass runs at a lower priority
    /// (nice 10, `BackgroundHasher`), so it fills the gaps between products instead of
    /// stalling one of the BLAS threads (issue #13: on 2 cores, "all cores but one" left
    /// the products on one core).
    @discardableResult
    public static func useAllCoresForPasses() -> Int {
        if let configured = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"], Int(configured) != nil {
            return threads
        }
        setThreads(ProcessInfo.processInfo.activeProcessorCount)
        return threads
    }
}

