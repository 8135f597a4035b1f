import Foundation

/// A setting that works but is likely not what was meant; the daemon logs it at start
/// and on reload, and `retaind check-config` prints it.
public struct ConfigurationWarning: Sendable, Equatable, CustomStringConvertible {
    /// The watch it concerns.
    public let watch: String
    public let message: String
    /// The watched directory it concerns, if one.
    public var dir: String? = nil

    public var description: String { "watch \(watch): \(message)" }
}

extension Configuration.Watch {
    /// This watch's warnings, as its files are now.
    public var warnings: [ConfigurationWarning] {
        var warnings: [ConfigurationWarning] = []
        for dir in dirs where !FileManager.default.fileExists(atPath: dir) {
            warnings.append(.init(watch: name, message: "\(dir) does not exist yet; it is watched once created", dir: dir))
        }
        if forgetProfile == nil {
            warnings.append(.init(watch: name, message: """
                no forget_profile: restoring will also undo much of the forgetting; capture one on the forget set \
                (retaind profile build, or tools/capture_profile.py)
                """))
        }
        if let tune = restore.tune, tune.choosesOnVerifyData {
            warnings.append(.init(watch: name, message: """
                restore.tune chooses on the [watch.verify] data, so nothing checks the choice on data it was not \
                made on; set tune_retain_data and tune_forget_data (the proxies the profiles were captured from)
                """))
        }
        return warnings
    }
}
