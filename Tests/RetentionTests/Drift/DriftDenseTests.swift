import Foundation
import Testing
import TestSupport
import Linalg
import SafeTensors
@testable import Retention

/// Drift against dense `tr(Δ C Δᵀ)` computed from the raw activations themselves.
@Suite struct DriftDenseTests {
    static let (m, d, n) = (6, 12, 40)

    /// Base, candidate and a profile of `rank` factors built from known activations.
    static func setUp(maxRank: Int, layout: WeightLayout = .outIn) throws -> (base: Checkpoint, candidate: Checkpoint, profile: RetainProfile, x: [Float], w0: [Float], w1: [Float]) {
        let dir = try Fixtures.temporaryDirectory()
        var rng = SplitMix(state: 77)
        let w0 = rng.floats(m * d)
        let w1 = zip(w0, rng.floats(m * d, scale: 0.01)).map { $0 + $1 }
        let stored: ([Float]) -> [Float] = { w in
            layout == .outIn ? w : (0..<(d * m)).map { w[($0 % m) * d + $0 / m] }
        }
        let shape = layout == .outIn ? [m, d] : [d, m]
        try writeCheckpoint(dir + "/base", [("layer.weight", shape, stored(w0)), ("norm", [3], [1, 1, 1])])
        try writeCheckpoint(dir + "/cand", [("layer.weight", shape, stored(w1)), ("norm", [3], [1, 1, 1.5])])
        let x = ProfileBuilderTests.activations(rows: n, width: d, seed: 5)
        var builder = ProfileBuilder()
        x.withUnsafeBufferPointer { builder.add(site: "layer", rows: MatrixView($0.baseAddress!, rows: n, cols: d)) }
        let site = try builder.profile(of: "layer", policy: RankPolicy(energy: 1, minRank: 1, maxRank: maxRank))
        let base = try Checkpoint.open(dir + "/base")
        let profile = RetainProfile(modules: [ProfiledModule(weight: "layer.weight", site: "layer", layout: layout)], sites: [site],
                                    tokens: n, baseFingerprint: try base.fingerprint(), proxyFingerprint: "")
        return (base, try Checkpoint.open(dir + "/cand"), profile, x, w0, w1)
    }

    /// `tr(Δ C Δᵀ)` with `C = XᵀX/n`, as `mean over tokens of ‖Δ x‖²`.
    static func denseEnergy(_ delta: [Double], _ x: [Float]) -> Double {
        var total = 0.0
        for t in 0..<n {
            for i in 0..<m {
                var y = 0.0
                for j in 0..<d { y += delta[i * d + j] * Double(x[t * d + j]) }
                total += y * y
            }
        }
        return total / Double(n)
    }

    @Test(arguments: [WeightLayout.outIn, .inOut])
    func fullRankEnergy_equalsDenseTrace(layout: WeightLayout) throws {
        let s = try Self.setUp(maxRank: Self.d, layout: layout)
        #expect(s.profile.sites["layer"]!.rank == Self.d)
        let report = try Drift.measure(candidate: s.candidate, base: s.base, profile: s.profile).report
        let delta = zip(s.w1, s.w0).map { Double($0 - $1) }
        let dense = Self.denseEnergy(delta, s.x)
        let module = report.modules[0]
        #expect(abs(module.energy - dense) <= 1e-4 * dense, "E \(module.energy) vs dense \(dense)")
        #expect(abs(module.energyUpper - module.energy) <= 1e-6 * dense, "no truncation, nothing hidden")
        let reference = Self.denseEnergy(s.w0.map(Double.init), s.x)
        #expect(abs(module.rho - (dense / reference).squareRoot()) <= 1e-4 * module.rho)
        #expect(report.unprofiled.map(\.name) == ["norm"])
        #expect(abs(report.unprofiled[0].relativeChange - 0.5 / 3.0.squareRoot()) < 1e-6)
    }

    @Test(arguments: [1, 3, 6])
    func truncatedEnergy_bracketsDenseTrace(rank: Int) throws {
        let s = try Self.setUp(maxRank: rank)
        let module = try Drift.measure(candidate: s.candidate, base: s.base, profile: s.profile).report.modules[0]
        let dense = Self.denseEnergy(zip(s.w1, s.w0).map { Double($0 - $1) }, s.x)
        #expect(module.energy <= dense * (1 + 1e-5), "E is a lower bound")
        #expect(module.energyUpper >= dense * (1 - 1e-5), "energy_upper is an upper bound")
        #expect(module.energy < dense, "truncation hides something at rank \(rank)")
    }
}

/// Row blocks (forced tiny here) give the same figures as one block per module.
@Suite struct DriftBlockingTests {
    @Test(arguments: [WeightLayout.outIn, .inOut])
    func manySmallBlocks_matchOneBlock(layout: WeightLayout) throws {
        let s = try DriftDenseTests.setUp(maxRank: 5, layout: layout)
        let whole = try Drift.measure(candidate: s.candidate, base: s.base, profile: s.profile).report.modules[0]
        for block in [1, 7, 25] {  // elements: one row per block, and blocks of a few rows
            let blocked = try Drift.measure(candidate: s.candidate, base: s.base, profile: s.profile, reference: nil, blockElements: block).report.modules[0]
            for (a, b) in [(blocked.energy, whole.energy), (blocked.referenceEnergy, whole.referenceEnergy), (blocked.beta, whole.beta),
                           (blocked.energyUpper, whole.energyUpper)] {
                #expect(abs(a - b) <= 1e-5 * abs(b), "block \(block): \(a) vs \(b)")
            }
        }
    }
}
