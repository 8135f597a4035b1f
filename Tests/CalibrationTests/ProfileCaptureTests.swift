@testable import Calibration
import Foundation
import Linalg
import Model
import Retention
import TestSupport
import Testing

/// The native profile against the one `tools/capture_profile.py` captured on the same
/// base and proxy (`Tests/Fixtures/tiny-llama/retain.profile.safetensors`).
struct ProfileCaptureTests {
    static let fixtures = PythonScript.repositoryRoot + "/Tests/Fixtures/tiny-llama/"

    @Test func nativeProfile_matchesTheCaptureTool() throws {
        let reference = try RetainProfile.read(Self.fixtures + "retain.profile.safetensors")
        let model = try LlamaModel(directory: Self.fixtures + "base")
        let proxy = try ProfileCapture.readProxy(Self.fixtures + "retain.jsonl", seqLen: 128, maxTokens: 65536)
        // The fixture was captured with --energy 0.95 --min-rank 4 --max-rank 12.
        let native = try ProfileCapture.build(model: model, proxy: proxy, policy: RankPolicy(energy: 0.95, minRank: 4, maxRank: 12))

        #expect(native.tokens == reference.tokens)
        #expect(native.baseFingerprint == reference.baseFingerprint)
        #expect(native.proxyFingerprint == reference.proxyFingerprint)
        #expect(native.modules.mapValues(\.site) == reference.modules.mapValues(\.site))
        #expect(Set(native.sites.keys) == Set(reference.sites.keys))
        for (name, want) in reference.sites {
            let got = try #require(native.sites[name])
            #expect(got.rank == want.rank, "\(name)")
            #expect(abs(got.trace - want.trace) / want.trace < 1e-5, "\(name) trace")
            #expect(zip(got.mean, want.mean).allSatisfy { abs($0 - $1) < 1e-5 }, "\(name) mean")
            for (a, b) in zip(got.eigenvalues, want.eigenvalues) {
                #expect(abs(a - b) / max(b, 1e-12) < 1e-3, "\(name) eigenvalue \(a) vs \(b)")
            }
            // Factor subspaces aligned: the projection of each reference direction onto the
            // native subspace keeps its length (cosines of the principal angles ≈ 1).
            #expect(Self.alignment(got, want) > 0.999, "\(name) subspaces")
        }
    }

    /// The smallest cosine of the principal angles between the two factor row spaces,
    /// over directions with a clear eigen-gap (equal eigenvalues may rotate freely).
    static func alignment(_ a: SiteProfile, _ b: SiteProfile) -> Double {
        func unitRows(_ s: SiteProfile) -> [[Double]] {
            (0..<s.rank).map { i in
                let row = (0..<s.dimension).map { Double(s.factors[i, $0]) }
                let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
                return row.map { $0 / norm }
            }
        }
        let ua = unitRows(a), ub = unitRows(b)
        let lambdas = b.eigenvalues
        var worst = 1.0
        for (i, v) in ub.enumerated() {
            let gapBelow = i + 1 < lambdas.count ? (lambdas[i] - lambdas[i + 1]) / lambdas[i] : 1
            let gapAbove = i > 0 ? (lambdas[i - 1] - lambdas[i]) / lambdas[i - 1] : 1
            guard min(gapBelow, gapAbove) > 1e-2, i < ub.count - 1 else { continue }
            let projected = ua.reduce(0.0) { sum, u in let dot = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }; return sum + dot * dot }
            worst = min(worst, projected.squareRoot())
        }
        return worst
    }

    @Test func siteNames_followTheCaptureTool() {
        #expect(ProfileCapture.siteName(["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.k_proj",
                                                     "model.layers.0.self_attn.v_proj"]) == "model.layers.0.self_attn.k_proj+q_proj+v_proj")
        #expect(ProfileCapture.siteName(["model.layers.3.mlp.down_proj"]) == "model.layers.3.mlp.down_proj")
    }
}
