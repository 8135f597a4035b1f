import Foundation
import History

/// A finished outcome of watch `w` with threshold 0.3, detected `seconds` after the epoch.
func record(_ id: Int64, _ path: String, _ status: CheckpointStatus, drift: Double?, at seconds: Double) -> CheckpointRecord {
    var record = CheckpointRecord(path: path, watch: "w", signature: "s", detectedAt: Date(timeIntervalSince1970: seconds))
    record.id = id
    record.status = status
    record.drift = drift
    record.threshold = 0.3
    return record
}
