import SafeTensors

/// Why a profile file was refused, naming the file and the site, module or key.
public struct ProfileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public enum Reason: Sendable, Equatable {
        case file(SafeTensorsError)
        case notAProfile(format: String?)
        case unsupportedVersion(String)
        case invalidMetadata(key: String, detail: String)
        case missingSite(site: String, module: String)
        case missingTensor(String)
        case invalidShape(tensor: String, detail: String)
        case nonFinite(tensor: String)
        case unsorted(site: String)
        case emptySite(site: String)
        /// A stored reference figure (a norm) is negative.
        case negativeReference(tensor: String)
    }

    public var description: String {
        if case .file(let error) = reason, error.path == path { return error.description }
        return "\(path): \(reason.message)"
    }
}

extension ProfileError.Reason {
    /// A sentence for the user: what is wrong and what to do about it.
    public var message: String {
        switch self {
        case .file(let error): error.description
        case .notAProfile(let format):
            "not a retain profile (__metadata__ format is \(format.map { "\"\($0)\"" } ?? "missing"), expected \"retain-profile\"); build one with `retaind profile build` or tools/capture_profile.py"
        case .unsupportedVersion(let v): "profile version \(v) is not supported (this retaind reads versions 1 and 2); rebuild it with this version's `retaind profile build`"
        case .invalidMetadata(let key, let detail): "__metadata__ \"\(key)\": \(detail)"
        case .missingSite(let site, let module): "module \"\(module)\" maps to site \"\(site)\", which has no tensors in the file"
        case .missingTensor(let name): "tensor \"\(name)\" is missing"
        case .invalidShape(let tensor, let detail): "tensor \"\(tensor)\": \(detail)"
        case .nonFinite(let tensor): "tensor \"\(tensor)\" holds NaN or Inf; rebuild the profile"
        case .unsorted(let site): "site \"\(site)\": factor rows are not sorted by decreasing energy"
        case .emptySite(let site): "site \"\(site)\" has no factors (k = 0); readers need k ≥ 1"
        case .negativeReference(let tensor): "tensor \"\(tensor)\" is negative but holds a squared norm or a norm; rebuild the profile"
        }
    }
}
