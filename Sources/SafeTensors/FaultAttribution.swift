/// An error that says whose fault it is: the checkpoint's (the daemon records the
/// checkpoint `rejected`: fix or replace it) or retaind's side (`error`: the output,
/// the profiles or the arithmetic failed; the checkpoint may be fine).
///
/// ```swift
/// let status: CheckpointStatus = (error as? FaultAttributable)?.isCheckpointFault == true ? .rejected : .error
/// ```
///
/// Errors that do not conform (a ``SafeTensorsError`` raised outside opening, a
/// LAPACK failure) are retaind's side.
public protocol FaultAttributable: Error {
    /// True when the checkpoint itself is unusable.
    var isCheckpointFault: Bool { get }
}

extension CheckpointError: FaultAttributable {
    /// Always true: the checkpoint could not be opened as one.
    public var isCheckpointFault: Bool { true }
}
