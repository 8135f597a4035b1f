import Linalg
import SafeTensors

/// The SAGE correction of a whole checkpoint for every `(α, γ)` at once, from one read of
/// the candidate and the base.
///
/// Per module, `P = ΔQ` does not depend on the setting, and the restored weight is
/// `W_c + D − Δ = W_c − P M Qᵀ` (docs/spec.md §4, `M = M(α, γ)` per site). So a forward
/// pass can restore each layer as it reaches it, for as many settings as it likes, and the
/// figures a restore would report come from `r × r` products: `restore.tune` chooses
/// without writing a checkpoint.
public final class CorrectionFactors: Sendable {
    /// One site pair's basis, with the profiles' factors expressed in it; all F32 (about
    /// `r·(d + k_r + k_f)` floats), since `A` and `B` are rebuilt from the factors.
    struct Site {
        /// `Qᵀ` (`r × d`), orthonormal rows, as applied to F32 weights.
        let q: Matrix<Float>
        /// `Q F_rᵀ` (`r × k`): the retain factors in the basis (they lie in its span).
        let retain: Matrix<Float>
        /// `Q F_fᵀ`, with a forget profile.
        let forget: Matrix<Float>?
        /// `d / tr C` of each profile: `A = s_r (QF_rᵀ)(QF_rᵀ)ᵀ`, `B` likewise.
        let retainScale: Double
        let forgetScale: Double

        /// `M(α, γ)` (`r × r`, F64).
        func m(alpha: Double, gamma: Double) throws(LinalgError) -> Matrix<Double> {
            func gram(_ f: Matrix<Float>, _ scale: Double) -> Matrix<Double> {
                let f64 = Matrix<Double>(rows: f.rows, cols: f.cols, storage: f.storage.map(Double.init))
                return BLAS.product(f64, .none, f64, .transpose, alpha: scale)
            }
            return try SiteCorrection.Basis.m(a: gram(retain, retainScale), b: forget.map { gram($0, forgetScale) },
                                              alpha: alpha, gamma: forget == nil ? 0 : gamma)
        }
    }

    /// One module's part of the update.
    struct Module {
        let site: String
        /// `P = ΔQ` (`m × r`), F32.
        let p: Matrix<Float>
        /// `‖Δ‖²` and `‖P‖²`: `‖D‖² = ‖Δ‖² − ‖P‖² + ‖P N‖²`.
        let deltaSquaredNorm: Double
        let projectedSquaredNorm: Double
        /// `‖P (QF_fᵀ)‖²`: the forget energy of the update before restoring.
        let forgetEnergyBefore: Double
        /// `R`: the base's energy on the retain profile, what `ρ` is relative to.
        let referenceEnergy: Double
    }

    /// The figures a restore at one setting would report, for updates written in F32.
    public struct Figures: Sendable, Equatable {
        public let driftAfter: Double
        public let forgetKept: Double?
        public let updateKept: Double
    }

    /// One setting, applied site by site: `M` of a site is computed when a restore first
    /// needs it and kept for the few sites used last. A forward pass restores layer by
    /// layer, so it holds `M` for about one layer's sites per setting (4 MB on SmolLM2
    /// with rank-512 bases), not every site's (126 MB).
    public final class Setting {
        public let alpha: Double
        public let gamma: Double
        /// The first solve that failed, if any: the weights it would have restored were
        /// left unchanged, so the caller throws this after the pass.
        public private(set) var failure: LinalgError?
        private var recent: [(site: String, m: Matrix<Float>)] = []
        /// Sites kept: one decoder layer's (attention input, `o_proj`, MLP input, `down_proj`).
        private static let capacity = 4

        fileprivate init(alpha: Double, gamma: Double) {
            self.alpha = alpha
            self.gamma = gamma
        }

        /// `M` of `key`, from the cache or solved.
        fileprivate func m(_ key: String, of site: Site) -> Matrix<Float>? {
            if let hit = recent.firstIndex(where: { $0.site == key }) { return recent[hit].m }
            do {
                let m64 = try site.m(alpha: alpha, gamma: gamma)
                let m = Matrix(rows: m64.rows, cols: m64.cols, storage: m64.storage.map(Float.init))
                if recent.count == Self.capacity { recent.removeFirst() }
                recent.append((key, m))
                return m
            } catch {
                if failure == nil { failure = error }
                return nil
            }
        }
    }

    let sites: [String: Site]
    let modules: [String: Module]
    /// Profiled module names, in the profile's order.
    public let moduleOrder: [String]
    /// Whether a forget profile takes part (`γ` matters).
    public let hasForget: Bool

    /// Reads the candidate and the base once (in row blocks, like a restore) and keeps
    /// `P` per module: `Σ m·r` floats, 10 MB per layer of a 135M model with rank-512
    /// joint bases.
    public init(candidate: Checkpoint, base: Checkpoint, retain: RetainProfile, forget: RetainProfile?,
                reference: BaseReference) throws {
        let pairings = try Restore.Plan.pairings(base: base, retain: retain, forget: forget, baseFingerprint: reference.fingerprint)
        var sites: [String: Site] = [:]
        var modules: [String: Module] = [:]
        let reader = BlockReader(candidate: candidate, base: base)
        for pairing in pairings {
            if sites[pairing.key] == nil { sites[pairing.key] = try Self.site(retain: pairing.retain, forget: pairing.forget) }
            let site = sites[pairing.key]!
            let (p, norm) = try BLAS.withAllCores { try reader.project(pairing, onto: site.q) }
            let forgetBefore = site.forget.map { Self.squaredNorm(BLAS.product(p, .none, $0, .none)) } ?? 0
            modules[pairing.name] = Module(site: pairing.key, p: p, deltaSquaredNorm: norm, projectedSquaredNorm: Self.squaredNorm(p),
                                           forgetEnergyBefore: forgetBefore, referenceEnergy: reference.modules[pairing.name]?.energy ?? 0)
        }
        self.sites = sites
        self.modules = modules
        moduleOrder = pairings.map(\.name)
        hasForget = forget != nil
    }

    /// A site's basis (`SiteCorrection.Basis`, F64) kept in F32 with the factors in it.
    private static func site(retain: SiteProfile, forget: SiteProfile?) throws(LinalgError) -> Site {
        let basis = try SiteCorrection.Basis(retain: retain, forget: forget)
        func inBasis(_ site: SiteProfile) -> Matrix<Float> {
            let f = Matrix<Double>(rows: site.rank, cols: site.dimension, storage: site.factors.storage.map(Double.init))
            let product = BLAS.product(basis.q, .none, f, .transpose)
            return Matrix(rows: product.rows, cols: product.cols, storage: product.storage.map(Float.init))
        }
        func scale(_ site: SiteProfile) -> Double { site.trace > 0 ? Double(site.dimension) / site.trace : 0 }
        return Site(q: Matrix(rows: basis.q.rows, cols: basis.q.cols, storage: basis.q.storage.map(Float.init)),
                    retain: inBasis(retain), forget: forget.map(inBasis), retainScale: scale(retain), forgetScale: forget.map(scale) ?? 0)
    }

    /// A setting to restore weights at (`γ` is 0 without a forget profile, as in a restore).
    public func setting(alpha: Double, gamma: Double) -> Setting {
         Setting(alpha: alpha, gamma: hasForget ? gamma : 0)
    }

    /// Restores the weight `name` (`[out, in]`, F32, the candidate's) in place at
    /// `setting`: `W ← W − (P M) Qᵀ`. Returns false for a weight outside the profile, or
    /// when `M` could not be solved (``Setting/failure`` says why).
    @discardableResult
    public func restore(_ name: String, _ weight: inout Matrix<Float>, at setting: Setting) -> Bool {
        guard let module = modules[name], let site = sites[module.site], let m = setting.m(module.site, of: site) else { return false }
        let pm = BLAS.product(module.p, .none, m, .none)
        BLAS.gemm(pm, .none, site.q, .none, into: &weight, alpha: -1, beta: 1)
        return true
    }

    /// `drift_after`, `forget_kept` and `update_kept` of the restore at `(α, γ)` written
    /// in F32 (docs/spec.md §4). With `N = I − M`, `D = Δ(I − QᵀQ) + P N Q`, so
    /// `‖D F_rᵀ‖² = ‖P N (QF_rᵀ)‖²` and `‖D‖² = ‖Δ‖² − ‖P‖² + ‖P N‖²`: products of `P`
    /// with `r`-wide matrices, about `Σ m·r·(r + k_r + k_f)` flops.
    public func figures(alpha: Double, gamma: Double) throws(LinalgError) -> Figures {
        var perSite: [String: (n: Matrix<Float>, retain: Matrix<Float>, forget: Matrix<Float>?)] = [:]
        for (key, site) in sites {
            let m = try site.m(alpha: alpha, gamma: gamma)
            var n = Matrix<Float>(rows: m.rows, cols: m.cols)
            for i in 0..<m.rows { for j in 0..<m.cols { n.storage[i * m.cols + j] = Float((i == j ? 1 : 0) - m.storage[i * m.cols + j]) } }
            perSite[key] = (n, BLAS.product(n, .none, site.retain, .none), site.forget.map { BLAS.product(n, .none, $0, .none) })
        }
        var squares = 0.0, written = 0.0, delta = 0.0, forgetAfter = 0.0, forgetBefore = 0.0
        for name in moduleOrder {
            let module = modules[name]!, site = perSite[module.site]!
            if module.referenceEnergy > 0 {
                squares += Self.squaredNorm(BLAS.product(module.p, .none, site.retain, .none)) / module.referenceEnergy
            }
            if let f = site.forget {
                forgetAfter += Self.squaredNorm(BLAS.product(module.p, .none, f, .none))
                forgetBefore += module.forgetEnergyBefore
            }
            let pn = Self.squaredNorm(BLAS.product(module.p, .none, site.n, .none))
            written += max(0, module.deltaSquaredNorm - module.projectedSquaredNorm + pn)
            delta += module.deltaSquaredNorm
        }
        return Figures(driftAfter: (squares / Double(max(1, moduleOrder.count))).squareRoot(),
                       forgetKept: hasForget && forgetBefore > 0 ? (forgetAfter / forgetBefore).squareRoot() : nil,
                       updateKept: delta > 0 ? (written / delta).squareRoot() : 1)
    }

    /// `‖X‖²_F`, accumulated in F64.
    private static func squaredNorm(_ x: Matrix<Float>) -> Double {
        x.storage.withUnsafeBufferPointer { Reductions.sumOfSquares($0) }
    }
}

/// Forms `Δ` of one module in row blocks (or from its LoRA factors) and projects it on a
/// site's basis.
private final class BlockReader {
    let candidate: Checkpoint
    let base: Checkpoint
    private var block: [Float] = []
    private let scratch = DeltaScratch()

    init(candidate: Checkpoint, base: Checkpoint) {
        self.candidate = candidate
        self.base = base
    }

    /// `(ΔQ, ‖Δ‖²)` of the module.
    func project(_ pairing: Restore.Plan.Pairing, onto q: Matrix<Float>) throws -> (Matrix<Float>, Double) {
        let name = pairing.name, geometry = pairing.geometry
        guard geometry.layout == .outIn else {
            throw DriftError(checkpoint: candidate.path, reason: .notRestorableInPass(module: name))
        }
        let (rows, cols) = (geometry.outputs, geometry.inputs)
        var p = Matrix<Float>(rows: rows, cols: q.rows)
        if let adapter = candidate.adapter {
            guard let module = adapter.module(updating: name) else { return (p, 0) }
            let lora = try LoRAFactors(adapter, module)
            let aq = BLAS.product(lora.a, .none, q, .transpose)  // A Q, rank × r
            p = BLAS.product(lora.b, .none, aq, .none, alpha: lora.scale)
            return (p, lora.squaredNorm)
        }
        let c = candidate.location(of: name)!, b = base.location(of: name)!
        let rowsPerBlock = max(1, DriftWorkspace.defaultBlockElements / cols)
        if block.count < rowsPerBlock * cols { block = [Float](repeating: 0, count: rowsPerBlock * cols) }
        var norm = 0.0
        for start in stride(from: 0, to: rows, by: rowsPerBlock) {
            let count = min(rowsPerBlock, rows - start)
            try block.withUnsafeMutableBufferPointer { buffer in
                let d = UnsafeMutableBufferPointer(rebasing: buffer[0..<(count * cols)])
                norm += try DeltaKernel.form(candidate: c, base: b, elements: (start * cols)..<((start + count) * cols), into: d,
                                             keepingBase: nil, scratch: scratch)
                p.withMutableView { whole in
                    var rowsOfP = MutableMatrixView(whole.base + start * q.rows, rows: count, cols: q.rows)
                    BLAS.gemm(MatrixView(d.baseAddress!, rows: count, cols: cols), .none, q, .transpose, into: &rowsOfP)
                }
            }
        }
        return (p, norm)
    }
}
