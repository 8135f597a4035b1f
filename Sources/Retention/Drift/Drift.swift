#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Linalg
import SafeTensors

/// docs/spec.md §3: the retention activation bias of a candidate against its base.
public enum Drift {
    /// A drift measurement and the base reference it used (to reuse for the next candidate).
    public struct Measurement: Sendable {
        public let report: DriftReport
        public let reference: BaseReference
    }

    /// Measures `candidate` (full, sharded or LoRA) against `base` under `profile`.
    ///
    /// One pass over the candidate, which also yields its fingerprint. For a full
    /// candidate without `reference`, the same pass reads the base once for `Δ`, for
    /// `R` and for the base fingerprint; with `reference`, the base-side products are
    /// skipped. Memory: a few block buffers of 1M elements and each module's `m × k`
    /// products, whatever the size of the largest tensor.
    ///
    /// - Throws: ``DriftError`` for any mismatch (profile of another base, missing or
    ///   reshaped tensor, infinite drift) or unreadable input.
    public static func measure(candidate: Checkpoint, base: Checkpoint, profile: RetainProfile,
                               reference: BaseReference? = nil) throws -> Measurement {
        try measure(candidate: candidate, base: base, profile: profile, reference: reference, blockElements: DriftWorkspace.defaultBlockElements)
    }

    /// ``measure(candidate:base:profile:reference:)`` with the block size exposed, so tests
    /// can force many blocks on small modules.
    static func measure(candidate: Checkpoint, base: Checkpoint, profile: RetainProfile,
                        reference: BaseReference?, blockElements: Int) throws -> Measurement {
        do {
            try validate(profile: profile, base: base)
            if candidate.adapter != nil {
                let reference = try reference ?? computeReference(base: base, profile: profile)
                return Measurement(report: try measureAdapter(candidate, base: base, profile: profile, reference: reference),
                                   reference: reference)
            }
            return try measureFull(candidate, base: base, profile: profile, reference: reference, blockElements: blockElements)
        } catch let error as DriftError {
            throw error
        } catch let error as CheckpointError {
            throw DriftError(checkpoint: error.checkpoint, reason: .checkpoint(error))
        } catch let error as SafeTensorsError {
            throw DriftError(checkpoint: candidate.path, reason: .file(error))
        } catch let error as LinalgError {
            throw DriftError(checkpoint: candidate.path, reason: .linalg(error))
        }
    }

    /// Reads the base once: its fingerprint (checked against the profile's), and `R`
    /// and `‖W0 μ‖` of every profiled module, unless the profile stores them (version 2:
    /// then only the fingerprint is computed).
    public static func computeReference(base: Checkpoint, profile: RetainProfile) throws -> BaseReference {
        try validate(profile: profile, base: base)
        if let stored = profile.storedReference() {
            try profile.requireCaptured(onBase: try base.fingerprint(), base: base.path)
            return stored
        }
        let workspace = DriftWorkspace()
        var modules: [String: ModuleReference] = [:]
        let fingerprint = try base.stream { tensor, _ in
            guard let module = profile.modules[tensor.name], let site = profile.sites[module.site] else { return }
            let geometry = try ModuleGeometry(module: module, tensor: tensor, site: site, checkpoint: base.path)
            modules[tensor.name] = try workspace.measure(candidate: nil, base: base.location(of: tensor.name)!, geometry: geometry,
                                                         site: site, needsReference: true).reference
        }
        try profile.requireCaptured(onBase: fingerprint, base: base.path)
        return BaseReference(fingerprint: fingerprint, modules: modules)
    }

    /// Every profiled module exists in the base with a shape its site can feed.
    static func validate(profile: RetainProfile, base: Checkpoint) throws {
        for name in profile.moduleNames {
            guard let location = base.location(of: name) else {
                throw DriftError(checkpoint: base.path, reason: .moduleNotInBase(name: name))
            }
            let module = profile.modules[name]!
            _ = try ModuleGeometry(module: module, tensor: location.tensor, site: profile.sites[module.site]!, checkpoint: base.path)
        }
    }

    // MARK: Full candidates

    private static func measureFull(_ candidate: Checkpoint, base: Checkpoint, profile: RetainProfile,
                                    reference: BaseReference?, blockElements: Int) throws -> Measurement {
        for name in base.tensorNames where candidate.location(of: name) == nil {
            throw DriftError(checkpoint: candidate.path, reason: .missingTensor(name: name, missingFrom: "candidate"))
        }
        for name in candidate.tensorNames {
            guard let b = base.location(of: name) else {
                throw DriftError(checkpoint: candidate.path, reason: .missingTensor(name: name, missingFrom: "base"))
            }
            let c = candidate.location(of: name)!
            guard b.tensor.shape == c.tensor.shape else {
                throw DriftError(checkpoint: candidate.path, reason: .shapeMismatch(name: name, base: b.tensor.shape, candidate: c.tensor.shape))
            }
        }
        let workspace = DriftWorkspace(blockElements: blockElements)
        let baseFingerprintTask = reference == nil ? base.fingerprintInBackground() : nil
        // A version 2 profile stores R and ‖W0 μ‖: only ΔFᵀ is left to compute. They
        // are trusted once the base's fingerprint matches the profile's (below).
        var references: [String: ModuleReference] = reference?.modules ?? profile.references
        var modules: [ModuleDrift] = []
        var unprofiled: [UnprofiledChange] = []
        var dtypeMismatches: [String: Int] = [:]

        let fingerprint = try candidate.stream(rejectNonFinite: true) { tensor, _ in
            let b = base.location(of: tensor.name)!
            defer { baseFingerprintTask?.doneReading(tensor.name) }
            if b.tensor.dtype != tensor.dtype {
                dtypeMismatches["\(tensor.dtype.rawValue) where the base stores \(b.tensor.dtype.rawValue)", default: 0] += 1
            }
            guard let module = profile.modules[tensor.name], let site = profile.sites[module.site] else {
                if let change = try relativeChange(b, candidate.location(of: tensor.name)!, workspace) {
                    unprofiled.append(change)
                }
                return
            }
            let geometry = try ModuleGeometry(module: module, tensor: tensor, site: site, checkpoint: candidate.path)
            let needsReference = references[tensor.name] == nil
            // Unchanged blocks are found by their zero ‖Δ‖² and skip the products.
            let result = try workspace.measure(candidate: candidate.location(of: tensor.name)!, base: b,
                                               geometry: geometry, site: site, needsReference: needsReference)
            if let reference = result.reference { references[tensor.name] = reference }
            modules.append(try moduleDrift(tensor.name, site, energies: result.energies, deltaSquaredNorm: result.deltaSquaredNorm,
                                           deltaMeanNorm: result.deltaMeanNorm, references[tensor.name]!, candidate.path))
        }

        let baseFingerprint: String
        if let reference {
            baseFingerprint = reference.fingerprint
        } else {
            baseFingerprint = try baseFingerprintTask!.wait()
            try profile.requireCaptured(onBase: baseFingerprint, base: base.path)
        }
        let report = DriftReport(fingerprint: fingerprint, baseFingerprint: baseFingerprint, modules: modules,
                                 unprofiled: unprofiled, warnings: dtypeWarnings(dtypeMismatches))
        return Measurement(report: report, reference: reference ?? BaseReference(fingerprint: baseFingerprint, modules: references))
    }

    /// `‖W1 − W0‖ / ‖W0‖` of an unprofiled tensor (the embedding, `lm_head`…), streamed
    /// in blocks of 1M elements like a profiled one, so memory never follows the largest
    /// tensor; nil when unchanged or not readable as numbers.
    private static func relativeChange(_ b: Checkpoint.Location, _ c: Checkpoint.Location,
                                       _ workspace: DriftWorkspace) throws(SafeTensorsError) -> UnprofiledChange? {
        guard b.tensor.dtype.isConvertibleToFloat32, c.tensor.dtype.isConvertibleToFloat32 else { return nil }
        let block = 1 << 20
        workspace.reserve(block)
        var difference = 0.0, reference = 0.0
        for start in stride(from: 0, to: b.tensor.elementCount, by: block) {
            let elements = start..<min(start + block, b.tensor.elementCount)
            difference += try DeltaKernel.form(candidate: c, base: b, elements: elements, into: workspace.delta,
                                           keepingBase: workspace.base, scratch: workspace.scratch)
            reference += Reductions.sumOfSquares(UnsafeBufferPointer(rebasing: workspace.base[0..<elements.count]))
        }
        guard difference > 0 else { return nil }
        return UnprofiledChange(name: b.tensor.name, relativeChange: reference > 0 ? (difference / reference).squareRoot() : .infinity)
    }

    private static func dtypeWarnings(_ mismatches: [String: Int]) -> [String] {
        mismatches.keys.sorted().map { key in
            "the candidate stores \(mismatches[key]!) tensor\(mismatches[key]! == 1 ? "" : "s") as \(key): rounding alone shows up as drift"
        }
    }

    /// docs/spec.md §3 figures of one module from `‖Δ fᵢ‖²`, `‖Δ‖²` and `‖Δ μ‖`.
    static func moduleDrift(_ name: String, _ site: SiteProfile, energies: [Double], deltaSquaredNorm: Double,
                            deltaMeanNorm: Double, _ reference: ModuleReference, _ checkpoint: String) throws -> ModuleDrift {
        let energy = energies.reduce(0, +)
        let lambdas = site.eigenvalues
        var captured = 0.0
        for i in 0..<energies.count where lambdas[i] > 0 { captured += energies[i] / lambdas[i] }
        let upper = energy + Double(site.tail) * max(0, deltaSquaredNorm - captured)
        let rho: Double
        if reference.energy > 0 {
            rho = (energy / reference.energy).squareRoot()
        } else if energy == 0 {
            rho = 0
        } else {
            throw DriftError(checkpoint: checkpoint, reason: .infiniteDrift(module: name))
        }
        let beta = reference.meanOutputNorm > 0 ? deltaMeanNorm / reference.meanOutputNorm : (deltaMeanNorm == 0 ? 0 : .infinity)
        return ModuleDrift(name: name, site: site.name, rho: rho, beta: beta, energy: energy,
                           referenceEnergy: reference.energy, energyUpper: upper)
    }
}

extension RetainProfile {
    /// Throws ``DriftError/Reason/profileForAnotherBase(profile:base:)``, naming `base`,
    /// unless the profile was captured on the base whose fingerprint is `baseFingerprint`:
    /// statistics of another base's activations would make every figure meaningless.
    public func requireCaptured(onBase baseFingerprint: String, base: String) throws(DriftError) {
        guard self.baseFingerprint == baseFingerprint else {
            throw DriftError(checkpoint: base, reason: .profileForAnotherBase(profile: self.baseFingerprint, base: baseFingerprint))
        }
    }
}
