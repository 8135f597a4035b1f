/// Figures of one restored module, measured on the weights written. docs/spec.md §7 names.
public struct ModuleRestore: Sendable, Codable, Equatable {
    public let name: String
    public let site: String
    /// `ρ` before the restore.
    public let rho: Double
    /// `ρ` of the written update.
    public let rhoAfter: Double
    /// `‖D_w‖ / ‖Δ‖`.
    public let updateKept: Double
    /// `‖D_w F_fᵀ‖ / ‖Δ F_fᵀ‖`, with a forget profile.
    public let forgetKept: Double?

    enum CodingKeys: String, CodingKey {
        case name, site, rho
        case rhoAfter = "rho_after"
        case updateKept = "update_kept"
        case forgetKept = "forget_kept"
    }
}

/// What a restore wrote and how well it did (docs/spec.md §4), all measured on what was written.
public struct RestoreReport: Sendable, Codable {
    /// The restored checkpoint's directory.
    public let path: String
    public let source: String
    /// Fingerprint of the candidate restored.
    public let fingerprint: String
    public let baseFingerprint: String
    public let alpha: Double
    public let gamma: Double
    /// `alpha` (given) or `target_drift` (α searched for `targetDrift`).
    public let mode: String
    public let targetDrift: Double?
    /// The dtype restored weights were written in, and why when `auto` chose F32.
    public let outputDType: String
    public let outputDTypeReason: String?
    public let drift: Double
    public let driftAfter: Double
    public let forgetKept: Double?
    public let updateKept: Double
    public let modules: [ModuleRestore]
    public let warnings: [String]

    enum CodingKeys: String, CodingKey {
        case path, source, fingerprint, alpha, gamma, mode, drift, modules, warnings
        case targetDrift = "target_drift"
        case baseFingerprint = "base_fingerprint"
        case outputDType = "output_dtype"
        case outputDTypeReason = "output_dtype_reason"
        case driftAfter = "drift_after"
        case forgetKept = "forget_kept"
        case updateKept = "update_kept"
    }
}
