import Testing
@testable import SafeTensors

@Suite struct Float32ConversionTests {
    /// Every one of the 65 536 F16 bit patterns widens exactly as the hardware/stdlib
    /// conversion does (NaNs compared as NaN), at every alignment and in the scalar tail.
    @Test(arguments: [0, 1])
    func f16_allBitPatternsMatchStdlib(misalign: Int) {
        let patterns = (0...UInt16.max).map { $0 }
        var raw = [UInt8](repeating: 0, count: misalign)
        for p in patterns { raw.append(UInt8(p & 0xFF)); raw.append(UInt8(p >> 8)) }
        var out = [Float](repeating: 0, count: patterns.count)
        raw.withUnsafeBytes { bytes in
            out.withUnsafeMutableBufferPointer {
                Float32Conversion.convert(UnsafeRawBufferPointer(rebasing: bytes[misalign...]), from: .f16, into: $0)
            }
        }
        var mismatches = 0
        for (i, p) in patterns.enumerated() {
            let expected = Float(Float16(bitPattern: p))
            if expected.isNaN ? !out[i].isNaN : expected.bitPattern != out[i].bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func bf16_isTheHighHalfOfF32() {
        let values: [Float] = [1, -2, 0.15625, 3.0e38, -0.0, .infinity, 1.0e-40]
        var raw: [UInt8] = [0]  // misaligned on purpose
        for v in values { let h = UInt16(v.bitPattern >> 16); raw.append(UInt8(h & 0xFF)); raw.append(UInt8(h >> 8)) }
        var out = [Float](repeating: 0, count: values.count)
        raw.withUnsafeBytes { b in
            out.withUnsafeMutableBufferPointer { Float32Conversion.convert(UnsafeRawBufferPointer(rebasing: b[1...]), from: .bf16, into: $0) }
        }
        #expect(out.map(\.bitPattern) == values.map { $0.bitPattern & 0xFFFF_0000 })
    }

    @Test func f64_roundsToNearestF32() {
        let values: [Double] = [1.0 / 3.0, -1e300, 1e-50, 0.1, 16_777_217]
        var out = [Float](repeating: 0, count: values.count)
        values.withUnsafeBytes { b in out.withUnsafeMutableBufferPointer { Float32Conversion.convert(b, from: .f64, into: $0) } }
        #expect(out == values.map { Float($0) })
    }

    @Test func nonFiniteScan_findsFirstNaNOrInf() {
        var values = [Float](repeating: 1, count: 100)
        #expect(values.withUnsafeBytes { NonFiniteScan.firstNonFinite($0, dtype: .f32) } == nil)
        values[37] = .nan
        values[90] = .infinity
        #expect(values.withUnsafeBytes { NonFiniteScan.firstNonFinite($0, dtype: .f32) } == 37)
        let halves: [UInt16] = [0x3C00, 0x3C00, 0x7C00]  // 1, 1, +Inf in F16
        #expect(halves.withUnsafeBytes { NonFiniteScan.firstNonFinite($0, dtype: .f16) } == 2)
        let bf: [UInt16] = [0x3F80, 0xFFC0]  // 1, NaN in BF16
        #expect(bf.withUnsafeBytes { NonFiniteScan.firstNonFinite($0, dtype: .bf16) } == 1)
    }
}
