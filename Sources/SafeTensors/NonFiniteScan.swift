/// Detection of NaN and Inf in stored float data, without converting it.
public enum NonFiniteScan {
    /// Index of the first NaN or Inf element in `data` (packed `dtype` elements), or nil.
    /// Integer dtypes are always finite.
    public static func firstNonFinite(_ data: UnsafeRawBufferPointer, dtype: DType) -> Int? {
        switch dtype {
        case .f32: return scan(data, UInt32.self, mask: 0x7F80_0000)
        case .bf16: return scan(data, UInt16.self, mask: 0x7F80)
        case .f16: return scan(data, UInt16.self, mask: 0x7C00)
        case .f64: return scan(data, UInt64.self, mask: 0x7FF0_0000_0000_0000)
        default: return nil
        }
    }

    /// Elements whose exponent bits are all ones are NaN or Inf. Checks 16 at a time and
    /// only looks closer inside a block that has one.
    private static func scan<T: FixedWidthInteger & SIMDScalar>(_ data: UnsafeRawBufferPointer, _: T.Type, mask: T) -> Int? {
        let size = MemoryLayout<T>.size
        let count = data.count / size
        guard count > 0, let base = data.baseAddress else { return nil }
        let vectorMask = SIMD16<T>(repeating: mask)
        let blocks = count / 16
        for b in 0..<blocks {
            let v = base.loadUnaligned(fromByteOffset: b * 16 * size, as: SIMD16<T>.self)
            if any((v & vectorMask) .== vectorMask) {
                for i in 0..<16 where (v[i] & mask) == mask { return b * 16 + i }
            }
        }
        for i in (blocks * 16)..<count {
            let v = base.loadUnaligned(fromByteOffset: i * size, as: T.self)
            if (v & mask) == mask { return i }
        }
        return nil
    }
}
