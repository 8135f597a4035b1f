/// Detection of NaN and Inf in stored float data, without converting it.
public enum NonFiniteScan {
    /// Index of the first NaN or Inf element in `data` (packed `dtype` elements), or nil.
    /// Integer dtypes are always finite.
    public static func firstNonFinite(_ data: UnsafeRawBufferPointer, dtype: DType) -> Int? {
        switch dtype {
        case .f32: return scan(data, UInt32.self, magnitude: 0x7FFF_FFFF, infinity: 0x7F80_0000)
        case .bf16: return scan(data, UInt16.self, magnitude: 0x7FFF, infinity: 0x7F80)
        case .f16: return scan(data, UInt16.self, magnitude: 0x7FFF, infinity: 0x7C00)
        case .f64: return scan(data, UInt64.self, magnitude: 0x7FFF_FFFF_FFFF_FFFF, infinity: 0x7FF0_0000_0000_0000)
        default: return nil
        }
    }

    /// An element is NaN or Inf exactly when its magnitude bits are at least those of
    /// infinity. Each block's maximum magnitude is a branch-free reduction the compiler
    /// vectorises; only a block that holds one is searched element by element.
    @inline(__always)
    private static func scan<T: FixedWidthInteger & UnsignedInteger>(_ data: UnsafeRawBufferPointer, _: T.Type, magnitude: T, infinity: T) -> Int? {
        let count = data.count / MemoryLayout<T>.size
        guard count > 0, let base = data.baseAddress else { return nil }
        let block = 4096
        var start = 0
        while start < count {
            let end = min(start + block, count)
            var largest: T = 0
            if Int(bitPattern: base) % MemoryLayout<T>.alignment == 0 {
                // The common case (safetensors writers pad the header to 8 bytes): typed
                // loads, which vectorise; unaligned loads do not.
                let typed = base.bindMemory(to: T.self, capacity: count)
                for i in start..<end { largest = max(largest, typed[i] & magnitude) }
            } else {
                for i in start..<end {
                    largest = max(largest, base.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self) & magnitude)
                }
            }
            if largest >= infinity {
                for i in start..<end where base.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self) & magnitude >= infinity {
                    return i
                }
            }
            start = end
        }
        return nil
    }
}
