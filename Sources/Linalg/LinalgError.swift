/// A LAPACK routine refused its input or failed to converge.
public struct LinalgError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The LAPACK routine, e.g. `dsyevd`.
    public let routine: String
    /// LAPACK's `info`: negative for a bad argument, positive for a numerical failure.
    public let info: Int

    public var description: String {
        info < 0
            ? "\(routine): argument \(-info) is invalid (a bug in retaind; please report it)"
            : "\(routine) failed to converge or found a singular matrix (info \(info)); the input is degenerate or holds NaN/Inf"
    }
}
