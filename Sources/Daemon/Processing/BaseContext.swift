import Foundation
import Retention
import SafeTensors

/// What every checkpoint of a base needs, loaded once: the base itself (held open), its
/// profiles, and the base-side reference energies (docs/spec.md §3) that each drift pass would
/// otherwise recompute.
final class BaseContext: Sendable {
    /// The files it was loaded from; a reload keeps the context while this is unchanged.
    struct Key: Hashable, Sendable {
        let base: String
        let retainProfile: String
        let forgetProfile: String?
        /// Sizes and mtimes of the base's files and the profiles.
        let stamp: String
    }

    let key: Key
    let base: Checkpoint
    let retain: RetainProfile
    let forget: RetainProfile?
    let reference: BaseReference

    private init(key: Key, base: Checkpoint, retain: RetainProfile, forget: RetainProfile?, reference: BaseReference) {
        self.key = key
        self.base = base
        self.retain = retain
        self.forget = forget
        self.reference = reference
    }

    /// The key of `watch`'s files as they are now.
    static func key(for watch: Configuration.Watch) -> Key {
        var stamp = DirectorySnapshot(directory: watch.base)?.signature ?? "missing"
        for file in [watch.retainProfile, watch.forgetProfile].compactMap({ $0 }) {
            var info = stat()
            stamp += stat(file, &info) == 0 ? "|\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)" : "|missing"
        }
        return Key(base: watch.base, retainProfile: watch.retainProfile, forgetProfile: watch.forgetProfile, stamp: stamp)
    }

    /// Loads and cross-checks a watch's base and profiles: one read of the base.
    ///
    /// - Throws: ``DaemonError/watchDisabled(watch:reason:)`` naming the file at fault,
    ///   e.g. a profile captured on another base.
    static func load(for watch: Configuration.Watch) throws(DaemonError) -> BaseContext {
        let key = key(for: watch)
        do {
            let retain = try RetainProfile.read(watch.retainProfile)
            let forget = try watch.forgetProfile.map { path throws(ProfileError) in try RetainProfile.read(path) }
            let base = try Checkpoint.open(watch.base)
            guard base.adapter == nil else {
                throw DaemonError.watchDisabled(watch: watch.name, reason: "base \(watch.base) is a LoRA adapter; point base at the full model")
            }
            let reference = try Drift.computeReference(base: base, profile: retain)
            if let forget, forget.baseFingerprint != reference.fingerprint {
                throw DaemonError.watchDisabled(watch: watch.name, reason: """
                    forget profile \(watch.forgetProfile!) was captured on base \(forget.baseFingerprint.prefix(12)), \
                    but \(watch.base) is \(reference.fingerprint.prefix(12)); capture it again on this base
                    """)
            }
            return BaseContext(key: key, base: base, retain: retain, forget: forget, reference: reference)
        } catch let error as DaemonError {
            throw error
        } catch let error as DriftError {
            if case .profileForAnotherBase(let profile, let base) = error.reason {
                throw DaemonError.watchDisabled(watch: watch.name, reason: """
                    retain profile \(watch.retainProfile) was captured on base \(profile.prefix(12)), but \(watch.base) \
                    is \(base.prefix(12)); capture it again on this base or fix `base`
                    """)
            }
            throw DaemonError.watchDisabled(watch: watch.name, reason: "\(error)")
        } catch {
            throw DaemonError.watchDisabled(watch: watch.name, reason: "\(error)")
        }
    }
}
