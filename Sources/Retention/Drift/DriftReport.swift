/// docs/spec.md §3 figures of one profiled module. JSON keys are the names of docs/spec.md §7.
public struct ModuleDrift: Sendable, Codable, Equatable {
    /// The weight's tensor name.
    public let name: String
    public let site: String
    /// Relative drift `ρ = √(E/R)`.
    public let rho: Double
    /// Mean bias `β = ‖Δμ‖ / ‖W0 μ‖`.
    public let beta: Double
    /// `E = ‖Δ Fᵀ‖²`, a lower bound of `tr(Δ C Δᵀ)`.
    public let energy: Double
    /// `R = ‖W0 Fᵀ‖²`.
    public let referenceEnergy: Double
    /// Upper bound of `tr(Δ C Δᵀ)`: how much the truncation can hide.
    public let energyUpper: Double

    enum CodingKeys: String, CodingKey {
        case name, site, rho, beta, energy
        case referenceEnergy = "reference_energy"
        case energyUpper = "energy_upper"
    }
}

/// A tensor outside the profile that changed: `‖W1 − W0‖ / ‖W0‖`. Reported, not gated on.
public struct UnprofiledChange: Sendable, Codable, Equatable {
    public let name: String
    public let relativeChange: Double

    enum CodingKeys: String, CodingKey {
        case name
        case relativeChange = "relative_change"
    }
}

/// The checkpoint-level drift of a candidate against its base (docs/spec.md §3).
public struct DriftReport: Sendable, Codable {
    /// docs/spec.md §6 fingerprint of the candidate.
    public let fingerprint: String
    public let baseFingerprint: String
    /// `√(mean ρ²)` over profiled modules.
    public let drift: Double
    public let driftMax: Double
    public let driftMaxModule: String
    /// Every profiled module, in byte-wise name order.
    public let modules: [ModuleDrift]
    public let unprofiled: [UnprofiledChange]
    /// Things the user should know that do not invalidate the figures.
    public let warnings: [String]

    enum CodingKeys: String, CodingKey {
        case fingerprint, drift, modules, unprofiled, warnings
        case baseFingerprint = "base_fingerprint"
        case driftMax = "drift_max"
        case driftMaxModule = "drift_max_module"
    }

    /// Aggregates module figures (docs/spec.md §3).
    public init(fingerprint: String, baseFingerprint: String, modules: [ModuleDrift], unprofiled: [UnprofiledChange], warnings: [String]) {
        self.fingerprint = fingerprint
        self.baseFingerprint = baseFingerprint
        self.modules = modules
        self.unprofiled = unprofiled
        self.warnings = warnings
        let squares = modules.reduce(0.0) { $0 + $1.rho * $1.rho }
        drift = modules.isEmpty ? 0 : (squares / Double(modules.count)).squareRoot()
        let worst = modules.max { $0.rho < $1.rho }
        driftMax = worst?.rho ?? 0
        driftMaxModule = worst?.name ?? ""
    }
}
