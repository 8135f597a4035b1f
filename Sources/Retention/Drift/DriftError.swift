import Linalg
import SafeTensors

/// Why drift could not be measured for a candidate, or a restore could not be made:
/// ``isCheckpointFault`` tells a checkpoint to reject from a failure on retaind's side.
public struct DriftError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The checkpoint (candidate or base) the problem is in.
    public let checkpoint: String
    public let reason: Reason

    public init(checkpoint: String, reason: Reason) {
        self.checkpoint = checkpoint
        self.reason = reason
    }

    public enum Reason: Sendable, Equatable {
        case missingTensor(name: String, missingFrom: String)
        case shapeMismatch(name: String, base: [Int], candidate: [Int])
        case profileForAnotherBase(profile: String, base: String)
        case moduleNotInBase(name: String)
        case moduleShape(name: String, shape: [Int], siteDimension: Int, layout: WeightLayout)
        case unsupportedDType(name: String, dtype: DType)
        case infiniteDrift(module: String)
        case adapterTargetShape(name: String, base: [Int], adapter: [Int])
        case forgetProfileMismatch(module: String, detail: String)
        /// A profiled module a forward pass cannot restore as it goes (`restore.tune`).
        case notRestorableInPass(module: String)
        case output(SafeTensorsError)
        case checkpoint(CheckpointError)
        case file(SafeTensorsError)
        case linalg(LinalgError)
    }

    public var description: String {
        switch reason {
        case .checkpoint(let error): return error.description
        case .file(let error) where error.path.hasPrefix(checkpoint): return error.description
        default: return "\(checkpoint): \(reason.message)"
        }
    }
}

extension DriftError.Reason {
    /// A sentence for the user: what is wrong and what to do about it.
    public var message: String {
        func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
        switch self {
        case .missingTensor(let name, let from):
            return "tensor \"\(name)\" is missing from the \(from); base and candidate must hold the same tensors"
        case .shapeMismatch(let name, let base, let candidate):
            return "tensor \"\(name)\" is \(shape(candidate)) in the candidate but \(shape(base)) in the base"
        case .profileForAnotherBase(let profile, let base):
            return "the profile was built on base \(profile.prefix(12))…, but this base is \(base.prefix(12))…; rebuild the profile on this base or point the watch at the right one"
        case .moduleNotInBase(let name):
            return "profiled module \"\(name)\" is not in the base; the profile belongs to another architecture"
        case .moduleShape(let name, let s, let d, let layout):
            return "profiled module \"\(name)\" is \(shape(s)) but its site has width \(d) (layout \(layout.rawValue))"
        case .unsupportedDType(let name, let dtype):
            return "tensor \"\(name)\" is \(dtype.rawValue); drift reads F64, F32, F16 and BF16 weights"
        case .infiniteDrift(let module):
            return "module \"\(module)\" has zero output on the retain profile (R = 0) but changed: its drift is infinite"
        case .adapterTargetShape(let name, let base, let adapter):
            return "the adapter's update of \"\(name)\" is \(shape(adapter)) but the base weight is \(shape(base))"
        case .forgetProfileMismatch(let module, let detail):
            return "the forget profile does not fit module \"\(module)\": \(detail); capture both profiles on the same base"
        case .notRestorableInPass(let module):
            return "profiled module \"\(module)\" is not an [out, in] linear weight of a decoder layer; restore.tune evaluates settings in a forward pass of a Llama-family model and restores only those"
        case .output(let error):
            return "writing the restored checkpoint failed: \(error.description); nothing was published"
        case .checkpoint(let error): return error.reason.message
        case .file(let error): return error.description
        case .linalg(let error): return error.description
        }
    }
}

extension DriftError: FaultAttributable {
    /// False for what restoring or the profiles got wrong (the output could not be
    /// written, a LAPACK failure, profiles of another base or not fitting each other),
    /// true for everything the candidate's own tensors are to blame for.
    public var isCheckpointFault: Bool {
        switch reason {
        case .output, .linalg, .forgetProfileMismatch, .profileForAnotherBase, .notRestorableInPass:
            false
        case .missingTensor, .shapeMismatch, .moduleNotInBase, .moduleShape, .unsupportedDType, .infiniteDrift,
             .adapterTargetShape, .checkpoint, .file:
            true
        }
    }
}
