/// Where a checkpoint's processing ended (or that it is under way).
public enum CheckpointStatus: String, Sendable, Codable, CaseIterable {
    /// Claimed by a daemon; a row left like this by a crash is redone on the next start.
    case processing
    /// Drift at or under the threshold.
    case passed
    /// Drift over the threshold; a restored checkpoint was written.
    case restored
    /// Drift over the threshold, but the watch does not restore (`restore.enabled = false`).
    case flagged
    /// The run changed no profiled weight: every profiled module's update is exactly zero
    /// (an adapter whose `lora_B` stayed zero, a copy of the base).
    case unchanged
    /// Unreadable or incompatible input; `error` says why.
    case rejected
    /// Disappeared before its outcome was known.
    case vanished
    /// The daemon failed on an acceptable checkpoint (output not writable, …).
    case error
}
