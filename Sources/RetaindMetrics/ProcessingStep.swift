/// The timed steps of processing one checkpoint, the `step` label of
/// `retaind_processing_seconds`.
public enum ProcessingStep: String, Sendable, CaseIterable {
    /// Reading, fingerprinting and measuring drift.
    case drift
    /// Writing the restored checkpoint (every setting of a tuned restore included).
    case restore
    /// Perplexity of candidate and restored checkpoint on the verify data.
    case verify
}
