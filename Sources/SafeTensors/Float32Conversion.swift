/// Widening of stored float types to F32, vectorised.
///
/// All arithmetic in retaind is F32 (docs/spec.md §1), so every weight passes through here once.
/// Sources may be unaligned (safetensors does not promise alignment), so loads are
/// unaligned vector loads; BF16 and F16 are widened with integer SIMD, no per-element
/// branches or library calls.
public enum Float32Conversion {
    private typealias Half16 = SIMD16<UInt16>
    private typealias Word16 = SIMD16<UInt32>

    /// Converts `source` (packed little-endian elements of `dtype`) into `output`.
    ///
    /// - Precondition: `dtype.isConvertibleToFloat32` and
    ///   `source.count == output.count * dtype.size`.
    public static func convert(_ source: UnsafeRawBufferPointer, from dtype: DType, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(source.count == output.count * dtype.size, "source and output sizes differ")
        guard output.count > 0, let src = source.baseAddress, let dst = output.baseAddress else { return }
        switch dtype {
        case .f32:
            UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: source.count)
        case .bf16:
            convertBF16(src, dst, output.count)
        case .f16:
            convertF16(src, dst, output.count)
        case .f64:
            for i in 0..<output.count {
                dst[i] = Float(src.loadUnaligned(fromByteOffset: i * 8, as: Double.self))
            }
        default:
            preconditionFailure("\(dtype.rawValue) is not a float type")
        }
    }

    private static func convertBF16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let vectors = count / 16
        let out = UnsafeMutableRawPointer(dst)
        for v in 0..<vectors {
            let h = src.loadUnaligned(fromByteOffset: v * 32, as: Half16.self)
            let w = Word16(truncatingIfNeeded: h) &<< 16
            out.storeBytes(of: w, toByteOffset: v * 64, as: Word16.self)
        }
        for i in (vectors * 16)..<count {
            let h = src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)
            dst[i] = Float(bitPattern: UInt32(h) << 16)
        }
    }

    private static func convertF16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let vectors = count / 16
        let out = UnsafeMutableRawPointer(dst)
        for v in 0..<vectors {
            let h = src.loadUnaligned(fromByteOffset: v * 32, as: Half16.self)
            out.storeBytes(of: widenHalf(Word16(truncatingIfNeeded: h)), toByteOffset: v * 64, as: Word16.self)
        }
        for i in (vectors * 16)..<count {
            let h = src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)
            dst[i] = Float(bitPattern: widenHalf(SIMD16(repeating: UInt32(h)))[0])
        }
    }

    /// IEEE binary16 bit patterns (in the low 16 bits) → binary32 bit patterns, exact for
    /// normals, subnormals, zeros, infinities and NaNs.
    @inline(__always)
    private static func widenHalf(_ h: Word16) -> Word16 {
        let sign = (h & 0x8000) &<< 16
        let exponent = h & 0x7C00
        let mantissa = h & 0x03FF
        // Normal numbers: rebias the exponent (15 → 127) and shift the mantissa.
        var bits = ((h & 0x7FFF) &<< 13) &+ ((127 - 15) &<< 23)
        // Inf/NaN: all-ones exponent.
        bits.replace(with: (mantissa &<< 13) | 0x7F80_0000, where: exponent .== 0x7C00)
        // Zero and subnormals: value = mantissa · 2^-24, exact in F32.
        let subnormal = exponent .== 0
        if any(subnormal) {
            let value = SIMD16<Float>(mantissa) * Float(bitPattern: 0x3380_0000)  // 2^-24
            bits.replace(with: unsafeBitCast(value, to: Word16.self), where: subnormal)
        }
        return bits | sign
    }
}

extension Float32Conversion {
    /// Narrows F32 `values` to `dtype` (F32, BF16 or F16; round to nearest even) into
    /// `output` (`values.count * dtype.size` bytes), as written checkpoints store them.
    public static func narrow(_ values: UnsafeBufferPointer<Float>, to dtype: DType, into output: UnsafeMutableRawBufferPointer) {
        precondition(output.count == values.count * dtype.size, "output size does not match")
        guard values.count > 0, let src = values.baseAddress, let dst = output.baseAddress else { return }
        switch dtype {
        case .f32:
            dst.copyMemory(from: src, byteCount: output.count)
        case .bf16:
            let out = dst.bindMemory(to: UInt16.self, capacity: values.count)
            for i in 0..<values.count {
                let u = src[i].bitPattern
                out[i] = src[i].isNaN ? UInt16(u >> 16) | 0x40 : UInt16(truncatingIfNeeded: (u &+ 0x7FFF &+ ((u >> 16) & 1)) >> 16)
            }
        case .f16:
            let out = dst.bindMemory(to: UInt16.self, capacity: values.count)
            for i in 0..<values.count { out[i] = Float16(src[i]).bitPattern }
        case .f64:
            // An F64 checkpoint stays F64 (`output_dtype = source`): the F32 result, widened.
            let out = dst.bindMemory(to: Double.self, capacity: values.count)
            for i in 0..<values.count { out[i] = Double(src[i]) }
        default:
            preconditionFailure("\(dtype.rawValue) is not an output float type")
        }
    }
}
