import Linalg

/// The SAGE correction of one site in closed form (docs/spec.md §4): `D = Δ − (Δ Q) M Qᵀ`.
///
/// `Q` is an orthonormal basis of the span of the retain (and forget) factors, held as
/// rows (`r × d`); `M` (`r × r`) is `α A (I + γ B + α A)⁻¹` with `A = Qᵀ Ĉ_r Q`,
/// `B = Qᵀ Ĉ_f Q` and `Ĉ = C · d / tr(C)`. This equals the dense solution
/// `Δ (I + γĈ_f)(I + γĈ_f + αĈ_r)⁻¹` exactly (Woodbury, since both `Ĉ` live in the
/// span of `Q`), at `O(m·d·r)` per module and without any `d × d` matrix.
///
/// A restore at one `(α, γ)` builds it straight from the factors instead
/// (``init(retain:forget:alpha:gamma:)``): with `U = [√α V_r; √γ V_f]` the scaled factor
/// rows (`V = √(d / tr C) F`, so `αĈ_r = α V_rᵀV_r`), the dense solution is
/// `Δ − (Δ √α V_rᵀ) Z` with `Z` the retain rows of `(I + UUᵀ)⁻¹ U` (push-through:
/// `V_r (I + UᵀU)⁻¹ = E (I + UUᵀ)⁻¹ U`, `E` picking the retain rows). That is one
/// `r × r` Cholesky solve per site, no QR, and a correction of rank `k_r`, not `r`.
///
/// Only what ``apply(to:rows:)`` uses is kept, in F32: two thin factors, or, when the site
/// is narrow enough, their product folded into one `d × d` matrix, whichever costs
/// fewer flops per row. A restore holds one correction per site.
public struct SiteCorrection: Sendable {
    public let alpha: Double
    public let gamma: Double
    /// How the correction is applied to a row block of `Δ`.
    private enum Form: Sendable {
        /// `Δ ← Δ − (Δ Q) M Qᵀ`, with `Qᵀ` (`r × d`) and `M` (`r × r`).
        case factored(basis: Matrix<Float>, m: Matrix<Float>)
        /// `Δ ← Δ − Δ K`, with `K = Q M Qᵀ` (`d × d`).
        case folded(Matrix<Float>)
        /// `Δ ← Δ − (Δ Lᵀ) R`, with `L` and `R` both `k × d`.
        case lowRank(left: Matrix<Float>, right: Matrix<Float>)
    }
    private let form: Form
    /// Rank of the correction (`r`).
    public let rank: Int

    /// What does not depend on `α` and `γ`: the basis and the profiles projected on it.
    public struct Basis: Sendable {
        /// `Qᵀ` (`r × d`), orthonormal rows.
        public let q: Matrix<Double>
        /// `A = Qᵀ Ĉ_r Q` (`r × r`).
        public let a: Matrix<Double>
        /// `B = Qᵀ Ĉ_f Q` (`r × r`), nil without a forget profile.
        public let b: Matrix<Double>?

        /// The joint basis of both profiles' factor rows; `forget` nil means retain-only.
        public init(retain: SiteProfile, forget: SiteProfile?) throws(LinalgError) {
            precondition(forget == nil || forget!.dimension == retain.dimension, "retain and forget profiles of one site differ in width")
            let d = retain.dimension
            var rows = SiteCorrection.unitRows(retain)
            if let forget { rows += SiteCorrection.unitRows(forget) }
            let stacked = Matrix<Double>(rows: rows.count / d, cols: d, storage: rows)
            // When the profiles bring d or more directions, I spans them (still exact, and
            // only possible for small d: k ≤ 256 per profile).
            q = stacked.rows < d ? try LAPACK.orthonormalRows(stacked) : Matrix<Double>.identity(d)
            let basis = q
            a = SiteCorrection.projected(retain, onto: basis)
            b = forget.map { SiteCorrection.projected($0, onto: basis) }
        }

        /// `M = αA (I + γB + αA)⁻¹`.
        public func m(alpha: Double, gamma: Double) throws(LinalgError) -> Matrix<Double> {
            try Self.m(a: a, b: b, alpha: alpha, gamma: gamma)
        }

        /// `M = αA (I + γB + αA)⁻¹` for `A` and `B` given.
        static func m(a: Matrix<Double>, b: Matrix<Double>?, alpha: Double, gamma: Double) throws(LinalgError) -> Matrix<Double> {
            var system = Matrix<Double>.identity(a.rows)
            var scaledA = a
            for i in 0..<system.storage.count {
                scaledA.storage[i] *= alpha
                system.storage[i] += scaledA.storage[i] + (b.map { gamma * $0.storage[i] } ?? 0)
            }
            return try LAPACK.solveRight(system, scaledA)
        }
    }

    /// Builds the correction for one site at one `(α, γ)` from the factors, by the
    /// push-through form above; `forget` nil means retain-only (`γ` unused).
    ///
    /// - Parameter folding: whether to apply it as `Δ K` with `K = √α V_rᵀ Z`; by default
    ///   when that costs fewer flops (`d < 2 k_r`).
    public init(retain: SiteProfile, forget: SiteProfile?, alpha: Double, gamma: Double, folding: Bool? = nil) throws(LinalgError) {
        precondition(forget == nil || forget!.dimension == retain.dimension, "retain and forget profiles of one site differ in width")
        self.alpha = alpha
        self.gamma = forget == nil ? 0 : gamma
        let d = retain.dimension, kr = retain.rank
        let left = Self.scaledFactors(retain, by: alpha)  // √α V_r
        let u = forget.map { Self.stacked(left, Self.scaledFactors($0, by: gamma)) } ?? left
        var system = Matrix<Double>.identity(u.rows)  // I + U Uᵀ (upper triangle)
        u.withView { v in system.withMutableView { BLAS.syrk(v, into: $0) } }
        let solved = try LAPACK.solveSymmetricPositive(system, u)
        let right = Matrix<Double>(rows: kr, cols: d, storage: Array(solved.storage.prefix(kr * d)))
        rank = kr
        if folding ?? (d < 2 * kr) {
            let k = BLAS.product(left, .transpose, right, .none)  // d × d
            form = .folded(Matrix(rows: d, cols: d, storage: k.storage.map(Float.init)))
        } else {
            form = .lowRank(left: Matrix(rows: kr, cols: d, storage: left.storage.map(Float.init)),
                            right: Matrix(rows: kr, cols: d, storage: right.storage.map(Float.init)))
        }
    }

    /// `√(scale · d / tr C) F`: the factor rows with `scale · Ĉ = VᵀV`.
    static func scaledFactors(_ site: SiteProfile, by scale: Double) -> Matrix<Double> {
        let s = site.trace > 0 && scale > 0 ? (scale * Double(site.dimension) / site.trace).squareRoot() : 0
        return Matrix(rows: site.rank, cols: site.dimension, storage: site.factors.storage.map { Double($0) * s })
    }

    /// `a` over `b` (same width).
    static func stacked(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Matrix<Double> {
        Matrix(rows: a.rows + b.rows, cols: a.cols, storage: a.storage + b.storage)
    }

    /// The correction for `α`, `γ` on a prepared basis.
    ///
    /// - Parameter folding: whether to apply it as `Δ K`; by default when that costs fewer
    ///   flops (`d² < r(2d + r)`, i.e. `r` above about `0.41 d`).
    public init(basis prepared: Basis, alpha: Double, gamma: Double, folding: Bool? = nil) throws(LinalgError) {
        self.alpha = alpha
        self.gamma = prepared.b == nil ? 0 : gamma
        let m = try prepared.m(alpha: alpha, gamma: self.gamma)
        let q = prepared.q
        let (r, d) = (q.rows, q.cols)
        rank = r
        if folding ?? (d * d < r * (2 * d + r)) {
            let k = BLAS.product(BLAS.product(q, .transpose, m, .none), .none, q, .none)  // (Q M) Qᵀ, d × d
            form = .folded(Matrix(rows: d, cols: d, storage: k.storage.map(Float.init)))
        } else {
            form = .factored(basis: Matrix(rows: r, cols: d, storage: q.storage.map(Float.init)),
                             m: Matrix(rows: r, cols: r, storage: m.storage.map(Float.init)))
        }
    }

    /// `Q_ᵀ Ĉ Q` for a profile: `(d / tr C) · (Qᵀ Fᵀ)(F Q)`, `r × r`.
    static func projected(_ site: SiteProfile, onto q: Matrix<Double>) -> Matrix<Double> {
        let (d, k) = (site.dimension, site.rank)
        let f = Matrix<Double>(rows: k, cols: d, storage: site.factors.storage.map(Double.init))
        let fq = BLAS.product(f, .none, q, .transpose)  // F Q, k × r
        let scale = site.trace > 0 ? Double(d) / site.trace : 0
        return BLAS.product(fq, .transpose, fq, .none, alpha: scale)
    }

    /// Factor rows scaled to unit length (rows with zero energy dropped).
    static func unitRows(_ site: SiteProfile) -> [Double] {
        let d = site.dimension
        var out: [Double] = []
        for (i, lambda) in site.eigenvalues.enumerated() where lambda > 0 {
            let s = 1 / lambda.squareRoot()
            out += (0..<d).map { Double(site.factors.storage[i * d + $0]) * s }
        }
        return out
    }

    /// Applies the correction to `Δ` (`m × d`, row-major, F32) in place: `Δ ← Δ − (Δ Q) M Qᵀ`.
    public func apply(to delta: UnsafeMutableBufferPointer<Float>, rows: Int) {
        guard rank > 0, rows > 0 else { return }
        switch form {
        case .factored(let q, let mf):
            let d = q.cols
            precondition(delta.count == rows * d)
            var view = MutableMatrixView(delta.baseAddress!, rows: rows, cols: d)
            let dq = BLAS.product(view, .none, q, .transpose)  // Δ Q
            let dqm = BLAS.product(dq, .none, mf, .none)       // (Δ Q) M
            BLAS.gemm(dqm, .none, q, .none, into: &view, alpha: -1, beta: 1)
        case .lowRank(let left, let right):
            let d = left.cols
            precondition(delta.count == rows * d)
            var view = MutableMatrixView(delta.baseAddress!, rows: rows, cols: d)
            let projected = BLAS.product(view, .none, left, .transpose)  // Δ Lᵀ
            BLAS.gemm(projected, .none, right, .none, into: &view, alpha: -1, beta: 1)
        case .folded(let k):
            let d = k.cols
            precondition(delta.count == rows * d)
            let view = MutableMatrixView(delta.baseAddress!, rows: rows, cols: d)
            let dk = BLAS.product(view, .none, k, .none)  // Δ K
            dk.storage.withUnsafeBufferPointer { dk in
                for i in 0..<(rows * d) { delta[i] -= dk[i] }
            }
        }
    }
}
