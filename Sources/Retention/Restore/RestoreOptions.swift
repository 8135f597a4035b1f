/// How a restore runs (docs/spec.md §4).
public struct RestoreOptions: Sendable, Equatable {
    /// Which dtype restored weights are written in.
    public enum OutputDType: String, Sendable, Codable, CaseIterable {
        /// The candidate's dtype, unless rounding leaves `drift_after` above 1.5× its
        /// unrounded value; then F32.
        case auto
        /// Always the candidate's dtype.
        case source
        /// Always F32.
        case float32
    }

    /// Strength of the retain penalty (ignored when `targetDrift` is set).
    public var alpha: Double
    /// Target-drift mode: find the smallest `α` whose `drift_after` is at most this.
    public var targetDrift: Double?
    /// Strength of the forget-carrier preservation (used with a forget profile).
    public var gamma: Double
    public var outputDType: OutputDType
    /// `update_kept` above this draws a warning.
    public var maxUpdateGain: Double

    public init(alpha: Double = 10, targetDrift: Double? = nil, gamma: Double = 10, outputDType: OutputDType = .auto, maxUpdateGain: Double = 4) {
        self.alpha = alpha
        self.targetDrift = targetDrift
        self.gamma = gamma
        self.outputDType = outputDType
        self.maxUpdateGain = maxUpdateGain
    }
}
