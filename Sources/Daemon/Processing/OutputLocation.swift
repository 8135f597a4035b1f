import Foundation
import Retention
import SystemCalls

/// Where a restored checkpoint goes:
/// `<output_root>/<watch>/<watched root's name>/<checkpoint's path under the root>`.
///
/// The path mirrors the run layout, so operators find an output beside the name of its
/// source. When an earlier version of the checkpoint was already restored there, the
/// new one gets the fingerprint as a suffix (`.<fp12>`, then `.<fp12>.2`, …); an output
/// of these very weights whose outcome never reached the history (the daemon died
/// between publishing and recording it) is replaced.
struct OutputLocation {
    let outputRoot: String
    /// Whether an orphaned output of the same weights is replaced (else it is kept and the
    /// new one suffixed).
    var replacesOrphans = true

    /// The destination for `candidate`, whose weights have `fingerprint`. May remove an
    /// orphaned output of the same weights.
    func destination(for candidate: Candidate, fingerprint: String) -> String {
        var relative = String(candidate.path.dropFirst(candidate.root.count))
        while relative.hasPrefix("/") { relative.removeFirst() }
        let base = [outputRoot, candidate.watch, (candidate.root as NSString).lastPathComponent, relative].joined(separator: "/")
        var path = base
        var attempt = 1
        while FileManager.default.fileExists(atPath: path) {
            if replacesOrphans, Self.isOrphaned(path, source: candidate.path, fingerprint: fingerprint) {
                FileSystem.removeRecursively(path)
                return path
            }
            path = attempt == 1 ? "\(base).\(fingerprint.prefix(12))" : "\(base).\(fingerprint.prefix(12)).\(attempt)"
            attempt += 1
        }
        return path
    }

    /// Whether `path` is a restore of these very weights whose outcome never reached the
    /// history (the caller has checked there is none).
    static func isOrphaned(_ path: String, source: String, fingerprint: String) -> Bool {
        guard let provenance = try? Provenance.read(directory: path) else { return false }
        return provenance.sourcePath == source && provenance.sourceFingerprint == fingerprint
    }
}
