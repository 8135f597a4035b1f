import SystemCalls

/// Why a safetensors file was refused, naming the file and, where there is one, the
/// tensor or header key.
///
/// ```swift
/// do { _ = try SafeTensorsFile(path: path) }
/// catch let error as SafeTensorsError where error.reason == .headerTooLarge(...) { … }
/// ```
public struct SafeTensorsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file the problem is in.
    public let path: String
    public let reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    /// What is wrong; each case names what to look at.
    public enum Reason: Sendable, Equatable {
        case fileTooSmall(size: Int)
        case headerTooLarge(length: UInt64, limit: Int)
        case headerBeyondFile(length: UInt64, fileSize: Int)
        case headerNotJSONObject
        case invalidJSON(JSONError)
        case invalidMetadata(key: String, detail: String)
        case invalidTensorEntry(tensor: String, detail: String)
        case unknownDType(tensor: String, dtype: String)
        case shapeOverflow(tensor: String)
        case sizeMismatch(tensor: String, expectedBytes: Int, actualBytes: Int)
        case invalidOffsets(tensor: String, begin: UInt64, end: UInt64)
        case notContiguous(tensor: String, expectedBegin: Int, actualBegin: Int)
        case dataSizeMismatch(dataEnd: Int, dataSize: Int)
        case duplicateTensor(tensor: String)
        case tensorNotFound(tensor: String)
        case unsupportedDType(tensor: String, dtype: DType)
        case nonFinite(tensor: String, elementIndex: Int)
        /// The file ended before byte `needed` while tensor data was read: another process
        /// truncated it after it was opened (it is `size` bytes now).
        case truncatedWhileReading(tensor: String, needed: Int, size: Int)
        /// A system call failed on ``SafeTensorsError/path``.
        case system(SystemError)

        /// A failed system call from its name and errno.
        public static func system(operation: String, errno: Int32) -> Reason {
            .system(SystemError(operation, errno: errno))
        }
    }

    public var description: String { "\(path): \(reason.message)" }
}

extension SafeTensorsError.Reason {
    /// A sentence for the user: what is wrong and what to do about it.
    public var message: String {
        switch self {
        case .fileTooSmall(let size):
            "file is \(size) bytes, shorter than the 8-byte header length every safetensors file starts with; it is truncated or not safetensors"
        case .headerTooLarge(let length, let limit):
            "header length \(length) exceeds the \(limit)-byte limit; the file is corrupt or not safetensors"
        case .headerBeyondFile(let length, let fileSize):
            "header length \(length) runs past the end of the \(fileSize)-byte file; the file is truncated"
        case .headerNotJSONObject:
            "header does not start with '{'; the file is corrupt or not safetensors"
        case .invalidJSON(let error):
            "header is not valid JSON: \(error)"
        case .invalidMetadata(let key, let detail):
            "__metadata__ key \"\(key)\": \(detail); metadata must map strings to strings"
        case .invalidTensorEntry(let tensor, let detail):
            "tensor \"\(tensor)\": \(detail)"
        case .unknownDType(let tensor, let dtype):
            "tensor \"\(tensor)\" has unknown dtype \"\(dtype)\""
        case .shapeOverflow(let tensor):
            "tensor \"\(tensor)\": shape's byte size overflows 64 bits"
        case .sizeMismatch(let tensor, let expected, let actual):
            "tensor \"\(tensor)\": shape × dtype size is \(expected) bytes but its data_offsets span \(actual)"
        case .invalidOffsets(let tensor, let begin, let end):
            "tensor \"\(tensor)\": data_offsets [\(begin), \(end)] are not an increasing in-file range"
        case .notContiguous(let tensor, let expected, let actual):
            actual < expected
                ? "tensor \"\(tensor)\" starts at byte \(actual), overlapping the previous tensor (expected \(expected))"
                : "tensor \"\(tensor)\" starts at byte \(actual), leaving a gap (expected \(expected))"
        case .dataSizeMismatch(let end, let size):
            end < size
                ? "tensor data ends at byte \(end) but the data section holds \(size) bytes: trailing bytes after the last tensor"
                : "tensor data needs \(end) bytes but the data section holds only \(size): the file is truncated"
        case .duplicateTensor(let tensor):
            "tensor \"\(tensor)\" appears more than once"
        case .tensorNotFound(let tensor):
            "no tensor named \"\(tensor)\""
        case .unsupportedDType(let tensor, let dtype):
            "tensor \"\(tensor)\" has dtype \(dtype.rawValue); only F64, F32, F16 and BF16 weights can be read as numbers"
        case .nonFinite(let tensor, let index):
            "tensor \"\(tensor)\" holds NaN or Inf (first at element \(index)); the checkpoint is diverged or corrupt"
        case .truncatedWhileReading(let tensor, let needed, let size):
            "the file was truncated while it was read: tensor \"\(tensor)\" needs bytes up to \(needed) but the file is now \(size) bytes; something rewrote or cut it after it was opened (a trainer still saving, a copy in progress); write checkpoints to a new name and rename them into place"
        case .system(let error):
            error.fileKind == nil
                ? "\(error.operation) failed: \(error.message)"
                : "\(error.message); a safetensors file must be a regular file (or a symlink to one)"
        }
    }
}
