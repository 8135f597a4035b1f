import Linalg
import SafeTensors

extension Restore {
    /// Everything a restore pass needs per module, prepared once: geometry, sites and the
    /// site corrections.
    struct Plan {
        struct Module {
            let geometry: ModuleGeometry
            let retain: SiteProfile
            let forget: SiteProfile?
            /// Key of the module's (retain site, forget site) pair in `bases`.
            let key: String
            let correction: SiteCorrection
        }

        /// Energies summed over a pass, per module.
        struct Figures {
            var outcomes: [String: ModuleRestorer.Outcome] = [:]

            init() {}

            /// Checkpoint-level figures (docs/spec.md §4) and per-module rows in `modules` order.
            func finished(modules: [String], before: DriftReport) -> (driftAfter: Double, forgetKept: Double?, updateKept: Double, modules: [ModuleRestore]) {
                var rows: [ModuleRestore] = []
                var squares = 0.0, writtenNorm = 0.0, deltaNorm = 0.0, forgetAfter = 0.0, forgetBefore = 0.0
                let beforeByName = Dictionary(uniqueKeysWithValues: before.modules.map { ($0.name, $0) })
                var hasForget = false
                for name in modules {
                    let o = outcomes[name]!, b = beforeByName[name]!
                    let rhoAfter = b.referenceEnergy > 0 ? (o.retainEnergyAfter / b.referenceEnergy).squareRoot() : 0
                    squares += rhoAfter * rhoAfter
                    writtenNorm += o.writtenSquaredNorm
                    deltaNorm += o.deltaSquaredNorm
                    forgetAfter += o.forgetEnergyAfter
                    forgetBefore += o.forgetEnergyBefore
                    hasForget = hasForget || o.forgetEnergyBefore > 0
                    rows.append(ModuleRestore(
                        name: name, site: b.site, rho: b.rho, rhoAfter: rhoAfter,
                        updateKept: o.deltaSquaredNorm > 0 ? (o.writtenSquaredNorm / o.deltaSquaredNorm).squareRoot() : 1,
                        forgetKept: o.forgetEnergyBefore > 0 ? (o.forgetEnergyAfter / o.forgetEnergyBefore).squareRoot() : nil))
                }
                return ((squares / Double(max(1, modules.count))).squareRoot(),
                        hasForget ? (forgetAfter / forgetBefore).squareRoot() : nil,
                        deltaNorm > 0 ? (writtenNorm / deltaNorm).squareRoot() : 1, rows)
            }
        }

        let candidate: Checkpoint
        let base: Checkpoint
        let modules: [String: Module]
        /// The α-independent part of each site pair's correction (F64, about five times a
        /// correction's size): kept only for the target-drift search, which needs `M` at many `α`.
        let bases: [String: SiteCorrection.Basis]
        let moduleOrder: [String]
        /// The candidate's dtype of each profiled weight.
        let sourceDTypes: [String: DType]
        let restorer = ModuleRestorer()

        /// One profiled module's sites and geometry, checked: what a plan and
        /// ``CorrectionFactors`` are built from.
        struct Pairing {
            let name: String
            let geometry: ModuleGeometry
            let retain: SiteProfile
            let forget: SiteProfile?
            /// Key of the (retain site, forget site) pair.
            let key: String
        }

        /// Every module of `retain`, in its order, with its forget site checked against it.
        static func pairings(base: Checkpoint, retain: RetainProfile, forget: RetainProfile?, baseFingerprint: String) throws -> [Pairing] {
            try forget?.requireCaptured(onBase: baseFingerprint, base: base.path)
            return try retain.moduleNames.map { name in
                let profiled = retain.modules[name]!
                let site = retain.sites[profiled.site]!
                var forgetSite: SiteProfile? = nil
                if let forget {
                    guard let f = forget.site(of: name) else {
                        throw DriftError(checkpoint: base.path, reason: .forgetProfileMismatch(module: name, detail: "it is not in the forget profile"))
                    }
                    guard f.dimension == site.dimension else {
                        throw DriftError(checkpoint: base.path, reason: .forgetProfileMismatch(module: name, detail: "its forget site has width \(f.dimension), not \(site.dimension)"))
                    }
                    forgetSite = f
                }
                let geometry = try ModuleGeometry(module: profiled, tensor: base.location(of: name)!.tensor, site: site, checkpoint: base.path)
                return Pairing(name: name, geometry: geometry, retain: site, forget: forgetSite, key: profiled.site + "|" + (forgetSite?.name ?? ""))
            }
        }

        init(candidate: Checkpoint, base: Checkpoint, retain: RetainProfile, forget: RetainProfile?, options: RestoreOptions,
             baseFingerprint: String, keepingBases: Bool = false) throws {
            let pairings = try Self.pairings(base: base, retain: retain, forget: forget, baseFingerprint: baseFingerprint)
            var sitePairs: [Pairing] = []
            var seen: Set<String> = []
            for pairing in pairings where seen.insert(pairing.key).inserted { sitePairs.append(pairing) }
            let (alpha, gamma) = (options.alpha, options.gamma)
            let corrections = try Self.perSitePair(sitePairs) { pair throws(LinalgError) in
                try SiteCorrection(retain: pair.retain, forget: pair.forget, alpha: alpha, gamma: gamma)
            }
            let bases = keepingBases
                ? try Self.perSitePair(sitePairs) { pair throws(LinalgError) in try SiteCorrection.Basis(retain: pair.retain, forget: pair.forget) }
                : [:]
            var modules: [String: Module] = [:]
            var dtypes: [String: DType] = [:]
            for pairing in pairings {
                modules[pairing.name] = Module(geometry: pairing.geometry, retain: pairing.retain, forget: pairing.forget, key: pairing.key,
                                               correction: corrections[pairing.key]!)
                dtypes[pairing.name] = candidate.location(of: pairing.name)?.tensor.dtype ?? base.location(of: pairing.name)!.tensor.dtype
            }
            self.candidate = candidate
            self.base = base
            self.modules = modules
            self.bases = bases
            self.moduleOrder = retain.moduleNames
            self.sourceDTypes = dtypes
        }

        /// `make` of every site pair, by key. The sites are independent, mid-sized F64
        /// problems (an `r × r` solve or QR with `r` up to 512), so they are spread over the
        /// cores with single-threaded BLAS rather than run one by one on threaded BLAS,
        /// whose hand-offs cost more than they save at these sizes.
        static func perSitePair<T>(_ pairs: [Pairing], _ make: (Pairing) throws(LinalgError) -> T) throws(LinalgError) -> [String: T] {
            var results = [Result<T, LinalgError>?](repeating: nil, count: pairs.count)
            let workers = BLAS.threads
            results.withUnsafeMutableBufferPointer { out in
                BLAS.singleThreaded {
                    Parallel.forEachChunk(pairs.count, minimumChunk: 1, workers: workers) { range in
                        for i in range { out[i] = Result { () throws(LinalgError) in try make(pairs[i]) } }
                    }
                }
            }
            var made: [String: T] = [:]
            for (pair, result) in zip(pairs, results) { made[pair.key] = try result!.get() }
            return made
        }

        /// `drift_after` of the whole checkpoint rounded to `dtypes` and unrounded (F32),
        /// from one pass without writing: what the `auto` dtype rule compares.
        func driftAfter(dtypes: [String: DType], reference: BaseReference) throws -> (rounded: Double, exact: Double) {
            var rounded = 0.0, exact = 0.0
            for name in moduleOrder {
                let o = try outcome(name, dtype: dtypes[name]!, writer: nil, measureUnrounded: true)
                let r = reference.modules[name]!.energy
                if r > 0 {
                    rounded += o.retainEnergyAfter / r
                    exact += o.retainEnergyUnrounded / r
                }
            }
            let count = Double(max(1, moduleOrder.count))
            return ((rounded / count).squareRoot(), (exact / count).squareRoot())
        }

        /// Restores one module, appending its bytes to `writer` when given.
        func outcome(_ name: String, dtype: DType, writer: SafeTensorsWriter?, measureUnrounded: Bool = false) throws -> ModuleRestorer.Outcome {
            let module = modules[name]!
            let c = candidate.location(of: name)!, b = base.location(of: name)!
            return try restorer.restore(candidate: c, base: b, geometry: module.geometry, retain: module.retain,
                                        forget: measureUnrounded ? nil : module.forget, correction: module.correction,
                                        dtype: dtype, writer: writer, measureUnrounded: measureUnrounded)
        }
    }
}
