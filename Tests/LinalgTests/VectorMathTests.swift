import Foundation
import Testing
@testable import Linalg

/// The vector kernels against the scalar libm functions, which the forward pass used
/// before and transformers uses: the perplexities compared with transformers rest on them.
@Suite struct VectorMathTests {
    /// Every 1/64 from −87 to 88 and the edges of each 16-lane chunk.
    static let inputs: [Float] = stride(from: Float(-87), through: 88, by: 1.0 / 64).map { $0 } + [0, -0.0, 1e-30, -1e-30]

    @Test func exp_isWithinTwoUlpOfLibm() {
        var values = Self.inputs
        values.withUnsafeMutableBufferPointer { VectorMath.exp($0.baseAddress!, count: $0.count) }
        var worst: Float = 0
        for (x, got) in zip(Self.inputs, values) {
            let want = Foundation.exp(x)
            worst = max(worst, abs(got - want) / want.ulp)
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
    }

    @Test func exp_handlesTheEdges() {
        var values: [Float] = [-.infinity, -200, 200, .infinity, .nan, -88.5]
        values.withUnsafeMutableBufferPointer { VectorMath.exp($0.baseAddress!, count: $0.count) }
        #expect(values[0] >= 0 && values[0] < 1e-37 && values[1] < 1e-37, "far below: \(values[0]), \(values[1])")
        #expect(values[2] > 1e38 && values[3] > 1e38, "far above: \(values[2]), \(values[3])")
        #expect(values[4].isNaN)
        #expect(values[5] < 1e-37)
    }

    @Test(arguments: [1, 15, 16, 17, 1000, 49_152])
    func logSumExp_matchesF64(count: Int) {
        var rng = SystemRandomNumberGenerator()
        let logits = (0..<count).map { _ in Float.random(in: -30...30, using: &rng) }
        let peak = Double(logits.max()!)
        let want = peak + log(logits.reduce(0.0) { $0 + exp(Double($1) - peak) })
        let got = logits.withUnsafeBufferPointer { VectorMath.logSumExp($0.baseAddress!, count: count) }
        #expect(abs(got - want) < 1e-6 * max(1, abs(want)), "\(got) vs \(want)")
    }

    @Test func logSumExp_ofMinusInfinityAndEmpty() {
        let none: [Float] = [-.infinity, -.infinity]
        #expect(none.withUnsafeBufferPointer { VectorMath.logSumExp($0.baseAddress!, count: 2) } == -.infinity)
        let one: [Float] = [3, -.infinity]
        #expect(abs(one.withUnsafeBufferPointer { VectorMath.logSumExp($0.baseAddress!, count: 2) } - 3) < 1e-12)
    }

    @Test(arguments: [7, 16, 1_537])
    func siluProduct_matchesTheScalarFormula(count: Int) {
        var rng = SystemRandomNumberGenerator()
        let gate = (0..<count).map { _ in Float.random(in: -20...20, using: &rng) }
        let up = (0..<count).map { _ in Float.random(in: -3...3, using: &rng) }
        var got = gate
        got.withUnsafeMutableBufferPointer { g in up.withUnsafeBufferPointer { VectorMath.siluProduct(g.baseAddress!, $0.baseAddress!, count: count) } }
        for i in 0..<count {
            let want = gate[i] / (1 + Foundation.exp(-gate[i])) * up[i]
            #expect(abs(got[i] - want) <= 4 * max(abs(want).ulp, Float.leastNormalMagnitude), "\(gate[i]), \(up[i]): \(got[i]) vs \(want)")
        }
    }

    @Test func maximumAndAdd_coverTheTail() {
        let values: [Float] = (0..<37).map { Float($0 == 36 ? 100 : $0) }
        #expect(values.withUnsafeBufferPointer { VectorMath.maximum($0.baseAddress!, count: 37) } == 100)
        var x = [Float](repeating: 1, count: 37)
        x.withUnsafeMutableBufferPointer { xp in values.withUnsafeBufferPointer { VectorMath.add($0.baseAddress!, to: xp.baseAddress!, count: 37) } }
        #expect(x == values.map { $0 + 1 })
    }
}
