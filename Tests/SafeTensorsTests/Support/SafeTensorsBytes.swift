/// Builds safetensors files byte by byte, including broken ones.
enum SafeTensorsBytes {
    /// A file whose header is `header` verbatim, followed by `data`.
    static func file(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        let headerBytes = Array(header.utf8)
        return file(headerBytes: headerBytes, data: data, declaredLength: declaredLength)
    }

    static func file(headerBytes: [UInt8], data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        let length = declaredLength ?? UInt64(headerBytes.count)
        let prefix = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
        return prefix + headerBytes + data
    }

    /// One F32 tensor entry's JSON.
    static func entry(_ name: String, dtype: String = "F32", shape: [Int], offsets: (Int, Int)) -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offsets.0),\(offsets.1)]}"
    }
}
