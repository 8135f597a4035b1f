import History
import SVGCharts

/// How each outcome is drawn: a shape and a colour from the Okabe–Ito palette (safe for
/// colour-blind readers), and the shape alone still tells them apart in greyscale.
public enum StatusStyle {
    /// Drift line and passed checkpoints.
    public static let drift = "#0072b2"
    /// The threshold line.
    public static let threshold = "#d55e00"
    /// A restored checkpoint's drift_after.
    public static let driftAfter = "#009e73"
    /// Over the threshold and not restored.
    public static let flagged = "#e69f00"
    /// No drift to show: rejected, error, vanished.
    public static let failed = "#cc79a7"
    /// No profiled weight changed.
    public static let unchanged = "#56b4e9"

    /// The mark for a checkpoint's drift (or, without one, on the baseline).
    static func mark(for status: CheckpointStatus) -> (shape: MarkerShape, fill: String) {
        switch status {
        case .passed, .restored, .processing: (.circle, drift)
        case .flagged: (.triangle, flagged)
        case .unchanged: (.square, unchanged)
        case .rejected, .error, .vanished: (.cross, failed)
        }
    }
}
