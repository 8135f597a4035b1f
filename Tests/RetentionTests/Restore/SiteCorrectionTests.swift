import Testing
import TestSupport
import Linalg
@testable import Retention

/// The low-rank closed form against the dense solve `Δ(I+γĈf)(I+γĈf+αĈr)⁻¹`.
@Suite struct SiteCorrectionTests {
    /// A site profile of `k` random factors with decaying energy, width `d`.
    static func site(_ name: String, k: Int, d: Int, seed: UInt64) throws -> SiteProfile {
        var rng = SplitMix(state: seed)
        var x = [Float](repeating: 0, count: 3 * d * d)
        for i in 0..<x.count { x[i] = Float(rng.next() / Double(i % d + 1)) }
        var builder = ProfileBuilder()
        x.withUnsafeBufferPointer { builder.add(site: name, rows: MatrixView($0.baseAddress!, rows: 3 * d, cols: d)) }
        return try builder.profile(of: name, policy: RankPolicy(energy: 1, minRank: 1, maxRank: k))
    }

    /// `Ĉ = (d / tr C) FᵀF`, dense.
    static func normalised(_ s: SiteProfile) -> Matrix<Double> {
        let d = s.dimension
        var c = Matrix<Double>(rows: d, cols: d)
        for r in 0..<s.rank { for i in 0..<d { for j in 0..<d {
            c[i, j] += Double(s.factors[r, i]) * Double(s.factors[r, j]) * Double(d) / s.trace
        } } }
        return c
    }

    static func dense(_ delta: Matrix<Double>, retain: SiteProfile, forget: SiteProfile?, alpha: Double, gamma: Double) throws -> Matrix<Double> {
        let d = retain.dimension
        let cr = normalised(retain)
        let cf = forget.map(normalised) ?? Matrix(rows: d, cols: d)
        var left = Matrix<Double>.identity(d), system = Matrix<Double>.identity(d)
        for i in 0..<(d * d) {
            left.storage[i] += gamma * cf.storage[i]
            system.storage[i] += gamma * cf.storage[i] + alpha * cr.storage[i]
        }
        return try LAPACK.solveRight(system, BLAS.product(delta, .none, left, .none))
    }

    @Test(arguments: [(24, 5, false), (24, 5, true), (64, 12, true), (16, 12, true)])  // the last: k_r + k_f > d
    func closedForm_equalsDenseSolve(d: Int, k: Int, withForget: Bool) throws {
        let retain = try Self.site("r", k: k, d: d, seed: 1)
        let forget = withForget ? try Self.site("f", k: k, d: d, seed: 2) : nil
        var rng = SplitMix(state: 3)
        let rows = 7
        let delta = rng.floats(rows * d)
        let basis = try SiteCorrection.Basis(retain: retain, forget: forget)
        for (alpha, gamma) in [(0.5, 0.0), (10.0, 10.0), (300.0, 3.0), (1e6, 1.0)] { for folding in [false, true] { for direct in [false, true] {
            // The search's form (joint basis Q, M) and the restore's (push-through, Cholesky).
            let correction = direct
                ? try SiteCorrection(retain: retain, forget: forget, alpha: alpha, gamma: gamma, folding: folding)
                : try SiteCorrection(basis: basis, alpha: alpha, gamma: gamma, folding: folding)
            var corrected = delta
            corrected.withUnsafeMutableBufferPointer { correction.apply(to: $0, rows: rows) }
            let expected = try Self.dense(Matrix(rows: rows, cols: d, storage: delta.map(Double.init)), retain: retain, forget: forget,
                                          alpha: alpha, gamma: withForget ? gamma : 0)
            let scale = expected.storage.map(abs).max()!
            let worst = zip(corrected, expected.storage).map { abs(Double($0) - $1) }.max()!
            #expect(worst <= 1e-5 * scale, "d \(d) α \(alpha) γ \(gamma) folded \(folding) direct \(direct): max error \(worst / scale) relative")
        } } }
    }

    @Test func tinyAlpha_leavesTheUpdate() throws {
        let retain = try Self.site("r", k: 6, d: 20, seed: 4)
        let correction = try SiteCorrection(retain: retain, forget: nil, alpha: 1e-9, gamma: 0)
        var rng = SplitMix(state: 5)
        let delta = rng.floats(3 * 20)
        var corrected = delta
        corrected.withUnsafeMutableBufferPointer { correction.apply(to: $0, rows: 3) }
        #expect(zip(corrected, delta).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
    }
}
