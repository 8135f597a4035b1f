import Foundation
import History
import Retention
import SafeTensors
import SystemCalls

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
        if let transient = transientFailure(error) {
            return (.error, "\(error) (\(transient); retried)")
        }
        return (isCheckpointFault(error) ? .rejected : .error, "\(error)")
    }

    /// System errors that may pass (permissions fixed, space freed, a device back): a
    /// checkpoint that hits one is not at fault, and is retried.
    static let transientErrnos: Set<Int32> = [EACCES, EPERM, EIO, ENOSPC, EROFS, EDQUOT, ENOMEM, EMFILE, ENFILE, EAGAIN, EBUSY, ETIMEDOUT]

    /// What makes `error` transient, if anything: its system error's errno.
    static func transientFailure(_ error: any Error) -> String? {
        guard let system = systemError(in: error), transientErrnos.contains(system.errno) else { return nil }
        return "a system error that may pass"
    }

    /// The system call failure inside `error`, through the wrappers the passes use.
    static func systemError(in error: any Error) -> SystemError? {
        switch error {
        case let error as SystemError: return error
        case let error as SafeTensorsError:
            if case .system(let system) = error.reason { return system }
        case let error as CheckpointError:
            if case .system(let system) = error.reason { return system }
            if case .file(let file) = error.reason { return systemError(in: file) }
        case let error as DriftError:
            switch error.reason {
            case .checkpoint(let inner): return systemError(in: inner)
            case .file(let inner), .output(let inner): return systemError(in: inner)
            default: return nil
            }
        case let error as DaemonError:
            if case .system(let system) = error { return system }
        default: return nil
        }
        return nil
    }

    /// Whether `error` is the checkpoint's fault rather than the daemon's: the error says
    /// so itself (``FaultAttributable``); anything else is the daemon's.
    static func isCheckpointFault(_ error: any Error) -> Bool {
        (error as? any FaultAttributable)?.isCheckpointFault ?? false
    }
}
