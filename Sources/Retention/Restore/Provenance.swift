import Foundation
import SystemCalls

/// `retaind.json`: where a restored checkpoint came from and how it was made, written
/// beside its weights by every restore (docs/spec.md §4). Keys are snake_case; absent
/// optionals are left out.
///
/// ```swift
/// let provenance = try Provenance.read(directory: output)
/// if provenance.sourceFingerprint == fingerprint { … }  // a restore of these weights
/// ```
public struct Provenance: Codable, Sendable, Equatable {
    /// The file's name inside a restored checkpoint.
    public static let fileName = "retaind.json"

    /// The candidate that was restored.
    public let sourcePath: String
    /// Its docs/spec.md §6 fingerprint.
    public let sourceFingerprint: String
    public let baseFingerprint: String
    /// `proxy_fingerprint` of the retain profile, and of the forget profile when one was used.
    public let retainProfileProxy: String
    public let forgetProfileProxy: String?
    public let alpha: Double
    public let gamma: Double
    /// `alpha` or `target_drift`.
    public let mode: String
    public let drift: Double
    public let driftAfter: Double
    public let forgetKept: Double?
    public let updateKept: Double
    public let outputDType: String
    public let outputDTypeReason: String?
    public let retaindVersion: String
    /// When it was written, ISO 8601.
    public let time: String
    /// The candidate's side files copied beside the weights (`config.json`, tokenizer
    /// files…; see `SideFiles`), sorted; nil in files written before retaind listed them.
    public let sideFiles: [String]?

    public init(sourcePath: String, sourceFingerprint: String, baseFingerprint: String, retainProfileProxy: String,
                forgetProfileProxy: String?, alpha: Double, gamma: Double, mode: String, drift: Double, driftAfter: Double,
                forgetKept: Double?, updateKept: Double, outputDType: String, outputDTypeReason: String?,
                retaindVersion: String, time: String, sideFiles: [String]? = nil) {
        self.sourcePath = sourcePath
        self.sourceFingerprint = sourceFingerprint
        self.baseFingerprint = baseFingerprint
        self.retainProfileProxy = retainProfileProxy
        self.forgetProfileProxy = forgetProfileProxy
        self.alpha = alpha
        self.gamma = gamma
        self.mode = mode
        self.drift = drift
        self.driftAfter = driftAfter
        self.forgetKept = forgetKept
        self.updateKept = updateKept
        self.outputDType = outputDType
        self.outputDTypeReason = outputDTypeReason
        self.retaindVersion = retaindVersion
        self.time = time
        self.sideFiles = sideFiles
    }

    /// The provenance of what `report` describes, stamped now.
    init(_ report: RestoreReport, retain: RetainProfile, forget: RetainProfile?, version: String, sideFiles: [String],
         time: Date = Date()) {
        self.init(sourcePath: report.source, sourceFingerprint: report.fingerprint, baseFingerprint: report.baseFingerprint,
                  retainProfileProxy: retain.proxyFingerprint, forgetProfileProxy: forget?.proxyFingerprint,
                  alpha: report.alpha, gamma: report.gamma, mode: report.mode, drift: report.drift, driftAfter: report.driftAfter,
                  forgetKept: report.forgetKept, updateKept: report.updateKept, outputDType: report.outputDType,
                  outputDTypeReason: report.outputDTypeReason, retaindVersion: version,
                  time: ISO8601DateFormatter().string(from: time), sideFiles: sideFiles)
    }

    enum CodingKeys: String, CodingKey {
        case alpha, gamma, mode, drift, time
        case sourcePath = "source_path"
        case sourceFingerprint = "source_fingerprint"
        case baseFingerprint = "base_fingerprint"
        case retainProfileProxy = "retain_profile_proxy"
        case forgetProfileProxy = "forget_profile_proxy"
        case driftAfter = "drift_after"
        case forgetKept = "forget_kept"
        case updateKept = "update_kept"
        case outputDType = "output_dtype"
        case outputDTypeReason = "output_dtype_reason"
        case retaindVersion = "retaind_version"
        case sideFiles = "side_files"
    }

    /// Reads `<directory>/retaind.json`: a regular file of at most 1 MiB (a FIFO or
    /// device in its place is refused at once, never read), `side_files` optional.
    public static func read(directory: String) throws -> Provenance {
        let bytes = try FileSystem.readRegularFile(directory + "/" + fileName, limit: 1 << 20)
        return try JSONDecoder().decode(Provenance.self, from: Data(bytes))
    }

    /// The file's text: pretty, keys sorted, slashes unescaped, a final newline.
    func fileContents() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}
