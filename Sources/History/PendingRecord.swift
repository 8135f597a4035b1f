import Foundation
import GRDB

/// A directory that matches a watch but is not ready to process, and why: a row of
/// `pending`. It is what `history`, `show`, `runs` and `wait` report for a checkpoint
/// that has no outcome yet, so an operator never mistakes "waiting" for "not seen".
public struct PendingRecord: Sendable, Codable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "pending"

    /// The checkpoint directory.
    public var path: String
    public var watch: String
    /// What it waits for: the completion marker, a short file (bytes seen / bytes its
    /// header names), the quiet period's time left.
    public var reason: String
    /// When the daemon first saw it.
    public var firstSeen: Date
    /// When `reason` last changed.
    public var updatedAt: Date

    public init(path: String, watch: String, reason: String, firstSeen: Date, updatedAt: Date) {
        self.path = path
        self.watch = watch
        self.reason = reason
        self.firstSeen = firstSeen
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case path, watch, reason
        case firstSeen = "first_seen"
        case updatedAt = "updated_at"
    }
}
