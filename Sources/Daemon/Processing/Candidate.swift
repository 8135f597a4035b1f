import Foundation

/// A checkpoint directory the watcher found complete and quiet.
public struct Candidate: Sendable, Equatable {
    /// The checkpoint directory.
    public let path: String
    /// The watch it belongs to.
    public let watch: String
    /// The watched root it was found under (names its output directory).
    public let root: String
    /// The directory's files when it was found complete; processing re-checks it.
    public let signature: String
    public let detectedAt: Date
    /// Why the checkpoint cannot be read, when its layout alone says so
    /// (``UnreadableLayout``): it is rejected without reading anything.
    public var rejection: String? = nil
}
