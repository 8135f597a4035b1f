import Retention

/// The gate (docs/spec.md §5): whether a measured checkpoint is over its watch's limit.
///
/// A pure function of the figures and the settings, so every rule is unit-tested
/// without a checkpoint: `drift > threshold`, or `drift_max > threshold_max` where set;
/// with `retain_ppl_ratio`, measured damage decides instead of drift, as long as the
/// candidate's retain perplexity could be measured.
enum Gate {
    /// What the gate says.
    enum Verdict: Equatable, Sendable {
        /// At or under every limit.
        case pass
        /// Over a limit: restore (or flag, where the watch does not restore).
        case over
    }

    /// The verdict for `drift` under `settings`.
    ///
    /// - Parameters:
    ///   - retainPPL: the candidate's retain perplexity, when the watch gates on damage and
    ///     it could be measured (nil keeps the drift rule).
    ///   - baseRetainPPL: the base's retain perplexity on the same data.
    static func verdict(_ drift: DriftReport, _ settings: Configuration.Gate, retainPPL: Double? = nil,
                        baseRetainPPL: Double? = nil) -> Verdict {
        verdict(drift: drift.drift, driftMax: drift.driftMax, settings, retainPPL: retainPPL, baseRetainPPL: baseRetainPPL)
    }

    /// The verdict from the figures alone (see ``verdict(_:_:retainPPL:baseRetainPPL:)``).
    static func verdict(drift: Double, driftMax: Double, _ settings: Configuration.Gate, retainPPL: Double? = nil,
                        baseRetainPPL: Double? = nil) -> Verdict {
        if let ratio = settings.retainPPLRatio, let retainPPL, let baseRetainPPL {
            return retainPPL > ratio * baseRetainPPL ? .over : .pass
        }
        let over = drift > settings.threshold || settings.thresholdMax.map { driftMax > $0 } ?? false
        return over ? .over : .pass
    }
}
