/// A validated safetensors header: every tensor's entry and the string metadata.
///
/// Validation is stricter than the reference implementation's: besides JSON syntax,
/// known dtypes and `shape × size == end − begin`, it requires the tensors to tile the
/// data section exactly (start at 0, contiguous, no overlap, end at the end of the file),
/// rejects duplicate names and bounds nesting depth.
public struct SafeTensorsHeader: Sendable {
    /// Largest header accepted, as in the reference implementation.
    public static let maxHeaderLength = 100_000_000

    /// Tensors in the order of their data in the file.
    public let tensors: [TensorInfo]
    /// The `__metadata__` map (empty when absent).
    public let metadata: [String: String]

    /// The header length stored in a file's first 8 bytes, checked against the limit and
    /// the file's size.
    public static func checkedLength(_ length: UInt64, fileSize: Int, path: String) throws(SafeTensorsError) -> Int {
        guard fileSize >= 8 else { throw SafeTensorsError(path: path, reason: .fileTooSmall(size: fileSize)) }
        guard length <= UInt64(maxHeaderLength) else {
            throw SafeTensorsError(path: path, reason: .headerTooLarge(length: length, limit: maxHeaderLength))
        }
        guard length <= UInt64(fileSize - 8) else {
            throw SafeTensorsError(path: path, reason: .headerBeyondFile(length: length, fileSize: fileSize))
        }
        return Int(length)
    }

    /// Validates a whole file held in memory (length prefix, header, data layout); the
    /// entry point for fuzzing and for checks that never touch the filesystem.
    public static func parse(file bytes: UnsafeRawBufferPointer, path: String = "<memory>") throws(SafeTensorsError) -> SafeTensorsHeader {
        guard bytes.count >= 8 else { throw SafeTensorsError(path: path, reason: .fileTooSmall(size: bytes.count)) }
        let length = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * $1) }
        let count = try checkedLength(length, fileSize: bytes.count, path: path)
        return try parse(UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + count)]), dataSize: bytes.count - 8 - count, path: path)
    }

    /// Parses and validates header bytes for a data section of `dataSize` bytes.
    ///
    /// - Parameters:
    ///   - bytes: the JSON header, as stored after the 8-byte length.
    ///   - dataSize: bytes after the header up to the end of the file.
    ///   - path: the file's path, for error messages.
    public static func parse(_ bytes: UnsafeRawBufferPointer, dataSize: Int, path: String) throws(SafeTensorsError) -> SafeTensorsHeader {
        func fail(_ reason: SafeTensorsError.Reason) -> SafeTensorsError {
            SafeTensorsError(path: path, reason: reason)
        }
        guard bytes.first == UInt8(ascii: "{") else { throw fail(.headerNotJSONObject) }
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            if case .duplicateKey(let key, depth: 1) = error.kind, key != "__metadata__" {
                throw fail(.duplicateTensor(tensor: key))
            }
            throw fail(.invalidJSON(error))
        }
        guard let object = root.object else { throw fail(.headerNotJSONObject) }

        var metadata: [String: String] = [:]
        var tensors: [TensorInfo] = []
        tensors.reserveCapacity(object.count)
        for (name, value) in object.members {
            if name == "__metadata__" {
                guard let entries = value.object else {
                    throw fail(.invalidMetadata(key: name, detail: "is \(value.kindName), not an object"))
                }
                for (key, item) in entries.members {
                    guard let text = item.string else {
                        throw fail(.invalidMetadata(key: key, detail: "value is \(item.kindName), not a string"))
                    }
                    metadata[key] = text
                }
                continue
            }
            tensors.append(try parseEntry(name: name, value: value, fail: fail))
        }

        tensors.sort { ($0.dataRange.lowerBound, $0.dataRange.upperBound) < ($1.dataRange.lowerBound, $1.dataRange.upperBound) }
        var expected = 0
        for tensor in tensors {
            guard tensor.dataRange.lowerBound == expected else {
                throw fail(.notContiguous(tensor: tensor.name, expectedBegin: expected, actualBegin: tensor.dataRange.lowerBound))
            }
            expected = tensor.dataRange.upperBound
        }
        guard expected == dataSize else { throw fail(.dataSizeMismatch(dataEnd: expected, dataSize: dataSize)) }
        return SafeTensorsHeader(tensors: tensors, metadata: metadata)
    }

    private static func parseEntry(
        name: String, value: JSONValue, fail: (SafeTensorsError.Reason) -> SafeTensorsError
    ) throws(SafeTensorsError) -> TensorInfo {
        func bad(_ detail: String) -> SafeTensorsError { fail(.invalidTensorEntry(tensor: name, detail: detail)) }
        guard let entry = value.object else { throw bad("entry is \(value.kindName), not an object") }
        guard let dtypeValue = entry["dtype"] else { throw bad("missing \"dtype\"") }
        guard let dtypeText = dtypeValue.string else { throw bad("\"dtype\" is \(dtypeValue.kindName), not a string") }
        guard let dtype = DType(rawValue: dtypeText) else { throw fail(.unknownDType(tensor: name, dtype: dtypeText)) }
        guard let shapeValue = entry["shape"] else { throw bad("missing \"shape\"") }
        guard let dims = shapeValue.array else { throw bad("\"shape\" is \(shapeValue.kindName), not an array") }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        var bytes = dtype.size
        for dim in dims {
            guard let d = dim.uint64 else { throw bad("\"shape\" holds \(dim.kindName == "a number" ? "a non-integer or negative number" : dim.kindName), not a dimension") }
            guard d <= UInt64(Int.max) else { throw fail(.shapeOverflow(tensor: name)) }
            let (product, overflow) = bytes.multipliedReportingOverflow(by: Int(d))
            guard !overflow else { throw fail(.shapeOverflow(tensor: name)) }
            bytes = product
            shape.append(Int(d))
        }
        guard let offsetsValue = entry["data_offsets"] else { throw bad("missing \"data_offsets\"") }
        guard let offsets = offsetsValue.array, offsets.count == 2 else {
            throw bad("\"data_offsets\" must be an array of two integers")
        }
        guard let begin = offsets[0].uint64, let end = offsets[1].uint64 else {
            throw bad("\"data_offsets\" must hold non-negative integers")
        }
        guard begin <= end, end <= UInt64(Int.max) else { throw fail(.invalidOffsets(tensor: name, begin: begin, end: end)) }
        let range = Int(begin)..<Int(end)
        guard range.count == bytes else {
            throw fail(.sizeMismatch(tensor: name, expectedBytes: bytes, actualBytes: range.count))
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, dataRange: range)
    }
}
