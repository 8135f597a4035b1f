import Linalg
import SafeTensors

/// Drift of a LoRA candidate, from its factors alone: `ΔFᵀ = s·B(AFᵀ)`, `‖Δ‖² =
/// s²·⟨BᵀB, AAᵀ⟩`, `Δμ = s·B(Aμ)`. `ΔW` is never materialised; the base is read only
/// for its reference figures (once, when `reference` is not cached) and for the norms
/// of adapted weights outside the profile.
extension Drift {
    static func measureAdapter(_ candidate: Checkpoint, base: Checkpoint, profile: RetainProfile,
                               reference: BaseReference) throws -> DriftReport {
        let adapter = candidate.adapter!
        for module in adapter.modules {
            guard let target = base.location(of: module.weightName) else {
                throw DriftError(checkpoint: candidate.path, reason: .missingTensor(name: module.weightName, missingFrom: "base"))
            }
            guard target.tensor.shape == module.deltaShape else {
                throw DriftError(checkpoint: candidate.path, reason: .adapterTargetShape(name: module.weightName, base: target.tensor.shape, adapter: module.deltaShape))
            }
        }
        let fingerprint = try candidate.stream(rejectNonFinite: true)
        var modules: [ModuleDrift] = []
        for name in profile.moduleNames {
            let site = profile.site(of: name)!
            let ref = reference.modules[name]!
            guard let module = adapter.module(updating: name) else {
                modules.append(try moduleDrift(name, site, energies: [Double](repeating: 0, count: site.rank),
                                               deltaSquaredNorm: 0, deltaMeanNorm: 0, ref, candidate.path))
                continue
            }
            let factors = try LoRAFactors(adapter, module)
            modules.append(try moduleDrift(name, site, energies: factors.factorEnergies(site), deltaSquaredNorm: factors.squaredNorm,
                                           deltaMeanNorm: factors.meanOutputNorm(site), ref, candidate.path))
        }
        var unprofiled: [UnprofiledChange] = []
        for module in adapter.modules where profile.modules[module.weightName] == nil {
            let factors = try LoRAFactors(adapter, module)
            guard factors.squaredNorm > 0 else { continue }
            let target = base.location(of: module.weightName)!
            let w0 = try squaredNorm(target)
            unprofiled.append(UnprofiledChange(name: module.weightName,
                                               relativeChange: w0 > 0 ? (factors.squaredNorm / w0).squareRoot() : .infinity))
        }
        return DriftReport(fingerprint: fingerprint, baseFingerprint: reference.fingerprint, modules: modules,
                           unprofiled: unprofiled, warnings: [])
    }

    /// `‖W‖²` of a stored tensor, read in chunks.
    static func squaredNorm(_ location: Checkpoint.Location) throws -> Double {
        let chunk = 1 << 20
        var buffer = [Float](repeating: 0, count: min(chunk, location.tensor.elementCount))
        var total = 0.0
        var start = 0
        while start < location.tensor.elementCount {
            let range = start..<min(start + chunk, location.tensor.elementCount)
            try buffer.withUnsafeMutableBufferPointer { b in
                let slice = UnsafeMutableBufferPointer(rebasing: b[0..<range.count])
                try location.file.readFloat32(location.tensor, elements: range, into: slice)
                total += Reductions.sumOfSquares(UnsafeBufferPointer(slice))
            }
            start = range.upperBound
        }
        return total
    }
}

/// One LoRA module's factors in F32 (`A`: `r × d`, `B`: `m × r`) and scale.
struct LoRAFactors {
    let a: Matrix<Float>
    let b: Matrix<Float>
    let scale: Float

    init(_ adapter: LoRAAdapter, _ module: LoRAModule) throws {
        a = Matrix(rows: module.a.shape[0], cols: module.a.shape[1], storage: try adapter.file.float32Array(module.a))
        b = Matrix(rows: module.b.shape[0], cols: module.b.shape[1], storage: try adapter.file.float32Array(module.b))
        scale = Float(module.scale)
    }

    init(a: Matrix<Float>, b: Matrix<Float>, scale: Float) {
        self.a = a
        self.b = b
        self.scale = scale
    }

    /// `‖ΔW‖² = s² Σᵢⱼ (BᵀB)ᵢⱼ (AAᵀ)ᵢⱼ`.
    var squaredNorm: Double {
        let a64 = Matrix<Double>(rows: a.rows, cols: a.cols, storage: a.storage.map(Double.init))
        let b64 = Matrix<Double>(rows: b.rows, cols: b.cols, storage: b.storage.map(Double.init))
        let btb = BLAS.product(b64, .transpose, b64, .none), aat = BLAS.product(a64, .none, a64, .transpose)  // r × r
        let inner = zip(btb.storage, aat.storage).reduce(0.0) { $0 + $1.0 * $1.1 }
        return Double(scale) * Double(scale) * inner
    }

    /// `‖(ΔW) fᵢ‖²` per factor, via `ΔFᵀ = s·B(AFᵀ)`.
    func factorEnergies(_ site: SiteProfile) -> [Double] {
        let af = BLAS.product(a, .none, site.factors, .transpose)  // r × k
        let p = BLAS.product(b, .none, af, .none, alpha: scale)     // m × k
        return ModuleProducts.columnEnergies(p.storage, rows: p.rows, cols: p.cols)
    }

    /// `‖ΔW μ‖ = ‖s·B(Aμ)‖`.
    func meanOutputNorm(_ site: SiteProfile) -> Double {
        let mean = Matrix<Float>(rows: site.dimension, cols: 1, storage: site.mean)
        let am = BLAS.product(a, .none, mean, .none)
        let y = BLAS.product(b, .none, am, .none, alpha: scale)
        return y.storage.withUnsafeBufferPointer { Reductions.sumOfSquares($0) }.squareRoot()
    }
}
