/// What drift needs of the base beyond its weights, computed once per base and profile
/// and reused for every candidate: the base's fingerprint (checked against the
/// profile's) and, per profiled module, `R = ‖W0 Fᵀ‖²` and `‖W0 μ‖`.
///
/// With it, a drift pass skips the base-side matrix product (half the arithmetic) and
/// the base fingerprint. It still reads `W0`: docs/spec.md §1 forms `Δ = W1 − W0` in F32
/// before any product, because `W1Fᵀ − W0Fᵀ` would cancel catastrophically for the
/// small updates that matter.
public struct BaseReference: Sendable {
    /// docs/spec.md §6 fingerprint of the base.
    public let fingerprint: String
    let modules: [String: ModuleReference]
}

/// `R` and `‖W0 μ‖` of one module.
struct ModuleReference: Sendable {
    let energy: Double
    let meanOutputNorm: Double
}
