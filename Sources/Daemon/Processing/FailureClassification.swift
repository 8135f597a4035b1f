import History
import SafeTensors

/// Why a checkpoint's processing failed, as the status its outcome gets: the one place
/// errors from the weight passes are sorted.
///
/// - `vanished`: the checkpoint is gone (trainer rotation deleted it mid-pass);
/// - `rejected`: the checkpoint itself is unusable (corrupt, wrong shapes, NaN/Inf…);
///   retrying cannot help;
/// - `error`: the daemon could not do its part (output not writable, a profile that does
///   not fit, a linear-algebra failure).
enum FailureClassification {
    /// The status and the message recorded for `error`, raised while processing the
    /// checkpoint at `path`.
    static func classify(_ error: any Error, checkpoint path: String) -> (status: CheckpointStatus, message: String) {
        if CheckpointLayout.detect(directory: path) == nil {
            return (.vanished, "the checkpoint disappeared while it was processed (\(error))")
        }
        return (isCheckpointFault(error) ? .rejected : .error, "\(error)")
    }

    /// Whether `error` is the checkpoint's fault rather than the daemon's: the error says
    /// so itself (``FaultAttributable``); anything else is the daemon's.
    static func isCheckpointFault(_ error: any Error) -> Bool {
        (error as? any FaultAttributable)?.isCheckpointFault ?? false
    }
}
