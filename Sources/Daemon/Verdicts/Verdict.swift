import Foundation
import History

/// A checkpoint's verdict as a pipeline acts on it: the outcome, its exit status and the
/// figures, in the names of docs/spec.md §7.
///
/// Exit statuses (the same in `retaind wait --help` and the README): 0 passed, 10
/// restored (use `restored_path`), 11 flagged, 12 rejected, 13 vanished or error, 14
/// unchanged, 124 no outcome before the timeout.
public struct Verdict: Sendable, Encodable, Equatable {
    /// The exit status of a checkpoint that got no outcome before the timeout.
    public static let timedOut: Int32 = 124

    public var path: String
    public var status: String
    public var exitCode: Int32
    public var watch: String?
    public var restoredPath: String?
    /// Why it was rejected or failed.
    public var reason: String?
    public var fingerprint: String?
    public var baseFingerprint: String?
    public var drift: Double?
    public var driftMax: Double?
    public var driftMaxModule: String?
    public var threshold: Double?
    public var driftAfter: Double?
    public var forgetKept: Double?
    public var updateKept: Double?
    public var alpha: Double?
    public var gamma: Double?
    public var retainPPLBase: Double?
    public var retainPPLBefore: Double?
    public var retainPPLAfter: Double?
    public var forgetPPLBefore: Double?
    public var forgetPPLAfter: Double?
    /// Without an outcome: what `wait` was waiting for (a pending reason, or the
    /// checkpoint to appear).
    public var waitingFor: String?

    /// The exit status of an outcome.
    public static func exitCode(of status: CheckpointStatus) -> Int32 {
        switch status {
        case .passed: 0
        case .restored: 10
        case .flagged: 11
        case .rejected: 12
        case .vanished, .error: 13
        case .unchanged: 14
        case .processing: timedOut
        }
    }

    /// The verdict of a recorded outcome.
    public init(_ record: CheckpointRecord) {
        path = record.path
        status = record.status.rawValue
        exitCode = Self.exitCode(of: record.status)
        watch = record.watch
        restoredPath = record.restoredPath
        reason = record.error
        fingerprint = record.fingerprint
        baseFingerprint = record.baseFingerprint
        drift = record.drift
        driftMax = record.driftMax
        driftMaxModule = record.driftMaxModule
        threshold = record.threshold
        driftAfter = record.driftAfter
        forgetKept = record.forgetKept
        updateKept = record.updateKept
        alpha = record.alpha
        gamma = record.gamma
        retainPPLBase = record.retainPPLBase
        retainPPLBefore = record.retainPPLBefore
        retainPPLAfter = record.retainPPLAfter
        forgetPPLBefore = record.forgetPPLBefore
        forgetPPLAfter = record.forgetPPLAfter
    }

    /// No outcome yet for `path`, waiting for `waitingFor`.
    public init(waiting path: String, for waitingFor: String, watch: String?) {
        self.path = path
        status = "waiting"
        exitCode = Self.timedOut
        self.watch = watch
        self.waitingFor = waitingFor
    }

    enum CodingKeys: String, CodingKey {
        case path, status, watch, reason, fingerprint, drift, threshold, alpha, gamma
        case exitCode = "exit_code"
        case restoredPath = "restored_path"
        case baseFingerprint = "base_fingerprint"
        case driftMax = "drift_max"
        case driftMaxModule = "drift_max_module"
        case driftAfter = "drift_after"
        case forgetKept = "forget_kept"
        case updateKept = "update_kept"
        case retainPPLBase = "retain_ppl_base"
        case retainPPLBefore = "retain_ppl_before"
        case retainPPLAfter = "retain_ppl_after"
        case forgetPPLBefore = "forget_ppl_before"
        case forgetPPLAfter = "forget_ppl_after"
        case waitingFor = "waiting_for"
    }

    /// One line for people: status, path, and what to use or why.
    public var summary: String {
        func f(_ x: Double?) -> String { x.map { String(format: "%.4g", $0) } ?? "?" }
        switch status {
        case "passed": return "passed     \(path)  drift \(f(drift)) ≤ \(f(threshold))"
        case "restored": return "restored   \(path)  drift \(f(drift)) > \(f(threshold)), \(f(driftAfter)) after; use \(restoredPath ?? "?")"
        case "flagged" where reason != nil: return "flagged    \(path)  \(reason!)"
        case "flagged": return "flagged    \(path)  drift \(f(drift)) > \(f(threshold)); restore is disabled for this watch"
        case "unchanged": return "unchanged  \(path)  the run changed no profiled weight"
        case "waiting": return "waiting    \(path)  \(waitingFor ?? "")"
        default: return "\(status.padding(toLength: 10, withPad: " ", startingAt: 0)) \(path)  \(reason ?? "")"
        }
    }
}
