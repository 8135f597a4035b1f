import Linalg
import SafeTensors

/// The SAGE correction of a whole checkpoint for every `(α, γ)` at once, from one read of
/// the candidate and the base.
///
/// Per module, `P = ΔQ` does not depend on the setting, and the restored weight is
/// `W_c + D − Δ = W_c − P M Qᵀ` (docs/spec.md §4, `M = M(α, γ)` per site). So a forward
/// pass can restore each layer as it reaches it, for as many settings as it likes
/// (``Pass``), and the figures a restore would report come from products of `P` with
/// `r`-wide matrices, gathered as the pass restores: `restore.tune` chooses without
/// writing a checkpoint. `P` is rebuilt per layer in each pass from the weight the pass
/// holds and the base's, not kept for the whole model (it is nearly as large as the
/// update when the joint basis is nearly full rank).
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

    /// One module's part of the update, measured once when the factors are built.
    struct Module {
        let site: String
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

    /// One setting, applied site by site: `M` of a site (with `N = I − M` applied to the
    /// profiles' factors, for the figures) is computed when a restore first needs it and
    /// kept for the few sites used last. A forward pass restores layer by layer, so it
    /// holds `M` for about one layer's sites per setting (4 MB on SmolLM2 with rank-512
    /// bases), not every site's (126 MB). The figures of a restore at this setting
    /// accumulate as each module is restored the first time.
    public final class Setting {
        public let alpha: Double
        public let gamma: Double
        /// The first solve that failed, if any: the weights it would have restored were
        /// left unchanged, so the caller throws this after the pass.
        public private(set) var failure: LinalgError?
        private var recent: [(site: String, solved: Solved)] = []
        /// Sites kept: one decoder layer's (attention input, `o_proj`, MLP input, `down_proj`).
        private static let capacity = 4
        private let modules: Int
        private let hasForget: Bool
        private var accounted: Set<String> = []
        private var squares = 0.0, written = 0.0, delta = 0.0, forgetAfter = 0.0, forgetBefore = 0.0

        /// `M` of a site in F32, and `N (QF_rᵀ)`, `N (QF_fᵀ)`.
        fileprivate struct Solved {
            let m: Matrix<Float>
            let retainKept: Matrix<Float>
            let forgetKept: Matrix<Float>?
        }

        fileprivate init(alpha: Double, gamma: Double, modules: Int, hasForget: Bool) {
            self.alpha = alpha
            self.gamma = gamma
            self.modules = modules
            self.hasForget = hasForget
        }

        /// Whether a pass has restored `name` at this setting.
        func hasRestored(_ name: String) -> Bool { accounted.contains(name) }

        /// The figures gathered so far; complete once every module is restored.
        fileprivate var totals: Figures {
            Figures(driftAfter: (squares / Double(max(1, modules))).squareRoot(),
                    forgetKept: hasForget && forgetBefore > 0 ? (forgetAfter / forgetBefore).squareRoot() : nil,
                    updateKept: delta > 0 ? (written / delta).squareRoot() : 1)
        }

        /// `M` of `key`, from the cache or solved.
        fileprivate func solved(_ key: String, of site: Site) -> Solved? {
            if let hit = recent.firstIndex(where: { $0.site == key }) { return recent[hit].solved }
            do {
                let m64 = try site.m(alpha: alpha, gamma: gamma)
                let m = Matrix(rows: m64.rows, cols: m64.cols, storage: m64.storage.map(Float.init))
                var n = Matrix<Float>(rows: m.rows, cols: m.cols)
                for i in 0..<m.rows { for j in 0..<m.cols { n.storage[i * m.cols + j] = Float((i == j ? 1 : 0) - m64.storage[i * m.cols + j]) } }
                let solved = Solved(m: m, retainKept: BLAS.product(n, .none, site.retain, .none),
                                    forgetKept: site.forget.map { BLAS.product(n, .none, $0, .none) })
                if recent.count == Self.capacity { recent.removeFirst() }
                recent.append((key, solved))
                return solved
            } catch {
                if failure == nil { failure = error }
                return nil
            }
        }

        /// Adds a module's figures the first time it is restored (`‖P N‖² = ‖P − P M‖²`).
        fileprivate func account(_ name: String, _ module: Module, p: Matrix<Float>, pm: Matrix<Float>, solved: Solved) {
            guard accounted.insert(name).inserted else { return }
            let pn = p.storage.withUnsafeBufferPointer { a in pm.storage.withUnsafeBufferPointer { Reductions.sumOfSquaredDifferences(a, $0) } }
            if module.referenceEnergy > 0 {
                squares += squaredNorm(BLAS.product(p, .none, solved.retainKept, .none)) / module.referenceEnergy
            }
            if let forget = solved.forgetKept {
                forgetAfter += squaredNorm(BLAS.product(p, .none, forget, .none))
                forgetBefore += module.forgetEnergyBefore
            }
            written += max(0, module.deltaSquaredNorm - module.projectedSquaredNorm + pn)
            delta += module.deltaSquaredNorm
        }
    }

    let sites: [String: Site]
    let modules: [String: Module]
    /// Profiled module names, in the profile's order.
    public let moduleOrder: [String]
    /// Whether a forget profile takes part (`γ` matters).
    public let hasForget: Bool

    /// The candidate and its base, for ``Pass`` to rebuild `P`.
    let candidate: Checkpoint
    let base: Checkpoint

    /// Reads the candidate and the base once (in row blocks, like a restore) and keeps
    /// per module what the figures need of `P`, and per site the basis and the factors
    /// in it (about 320 MB on SmolLM2 with rank-512 joint bases).
    public init(candidate: Checkpoint, base: Checkpoint, retain: RetainProfile, forget: RetainProfile?,
                reference: BaseReference) throws {
        let pairings = try Restore.Plan.pairings(base: base, retain: retain, forget: forget, baseFingerprint: reference.fingerprint)
        var seen: Set<String> = []
        let sites = try Restore.Plan.perSitePair(pairings.filter { seen.insert($0.key).inserted }) { pair throws(LinalgError) in
            try Self.site(retain: pair.retain, forget: pair.forget)
        }
        var modules: [String: Module] = [:]
        let reader = BlockReader(candidate: candidate, base: base)
        for pairing in pairings {
            let site = sites[pairing.key]!
            let (p, norm) = try BLAS.withAllCores { try reader.project(pairing, onto: site.q) }
            let forgetBefore = site.forget.map { squaredNorm(BLAS.product(p, .none, $0, .none)) } ?? 0
            modules[pairing.name] = Module(site: pairing.key, deltaSquaredNorm: norm, projectedSquaredNorm: squaredNorm(p),
                                           forgetEnergyBefore: forgetBefore, referenceEnergy: reference.modules[pairing.name]?.energy ?? 0)
        }
        self.candidate = candidate
        self.base = base
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
        Setting(alpha: alpha, gamma: hasForget ? gamma : 0, modules: moduleOrder.count, hasForget: hasForget)
    }

    /// A forward pass's restorer, which rebuilds `P` of the modules of the layer it is at.
    public func pass() -> Pass { Pass(self) }

    /// `drift_after`, `forget_kept` and `update_kept` of the restore at `setting` written
    /// in F32 (docs/spec.md §4), gathered as a pass restored each module at it: with
    /// `N = I − M`, `‖D F_rᵀ‖² = ‖P N (QF_rᵀ)‖²` and `‖D‖² = ‖Δ‖² − ‖P‖² + ‖P N‖²`.
    /// A module no pass has restored at `setting` is an error naming it.
    public func figures(of setting: Setting) throws(DriftError) -> Figures {
        if let missing = moduleOrder.first(where: { !setting.hasRestored($0) }) {
            throw DriftError(checkpoint: candidate.path, reason: .notRestorableInPass(module: missing))
        }
        return setting.totals
    }

    /// Restores the weights of one forward pass. `P = ΔQ` of a module is formed when the
    /// pass first reaches it (`Δ` from the weight the pass holds and the base's, or from a
    /// LoRA adapter's factors) and kept for the modules of about one layer, which every
    /// setting of the pass then restores.
    public final class Pass {
        private let factors: CorrectionFactors
        private var recent: [(name: String, p: Matrix<Float>)] = []
        /// The first read of a base weight (or an adapter's factors) that failed, if any:
        /// its module was left unchanged, so the caller throws this after the pass.
        public private(set) var failure: (any Error)?
        /// Modules kept: one decoder layer's linear weights.
        private static let capacity = 7

        fileprivate init(_ factors: CorrectionFactors) {
            self.factors = factors
        }

        /// Restores the weight `name` (`[out, in]`, F32, the candidate's as the pass holds
        /// it, unedited: the first call for a module forms its `P` from it) in place at
        /// `setting`: `W ← W − (P M) Qᵀ`, and adds the module to the setting's figures. Returns false for a weight outside the profile, when `M`
        /// could not be solved (``Setting/failure`` says why) or `P` could not be formed
        /// (``failure``).
        @discardableResult
        public func restore(_ name: String, _ weight: inout Matrix<Float>, at setting: Setting) -> Bool {
            guard let module = factors.modules[name], let site = factors.sites[module.site],
                  let solved = setting.solved(module.site, of: site) else { return false }
            let p: Matrix<Float>
            do {
                p = try projection(name, weight, onto: site.q)
            } catch {
                if failure == nil { failure = error }
                return false
            }
            let pm = BLAS.product(p, .none, solved.m, .none)
            BLAS.gemm(pm, .none, site.q, .none, into: &weight, alpha: -1, beta: 1)
            setting.account(name, module, p: p, pm: pm, solved: solved)
            return true
        }

        /// `P = ΔQ` of `name`, from the cache or formed.
        private func projection(_ name: String, _ weight: Matrix<Float>, onto q: Matrix<Float>) throws -> Matrix<Float> {
            if let hit = recent.first(where: { $0.name == name }) { return hit.p }
            let p: Matrix<Float>
            if let adapter = factors.candidate.adapter {
                if let module = adapter.module(updating: name) {
                    let lora = try LoRAFactors(adapter, module)
                    p = BLAS.product(lora.b, .none, BLAS.product(lora.a, .none, q, .transpose), .none, alpha: lora.scale)
                } else {
                    p = Matrix(rows: weight.rows, cols: q.rows)
                }
            } else {
                let location = factors.base.location(of: name)!
                var delta = Matrix<Float>(rows: weight.rows, cols: weight.cols, storage: try location.file.float32Array(location.tensor))
                delta.storage.withUnsafeMutableBufferPointer { d in
                    weight.storage.withUnsafeBufferPointer { w in for i in d.indices { d[i] = w[i] - d[i] } }
                }
                p = BLAS.product(delta, .none, q, .transpose)
            }
            if recent.count == Self.capacity { recent.removeFirst() }
            recent.append((name, p))
            return p
        }
    }
}

/// `‖X‖²_F`, accumulated in F64.
private func squaredNorm(_ x: Matrix<Float>) -> Double {
    x.storage.withUnsafeBufferPointer { Reductions.sumOfSquares($0) }
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
