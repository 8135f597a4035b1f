import Testing
import TestSupport
import Linalg
@testable import Retention

/// The builder's eigenpairs against a dense F64 decomposition of the same activations.
@Suite struct ProfileBuilderTests {
    /// Activations with a decaying spectrum and a non-zero mean.
    static func activations(rows n: Int, width d: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix(state: seed)
        var x = [Float](repeating: 0, count: n * d)
        for t in 0..<n { for j in 0..<d { x[t * d + j] = Float(rng.next() * 3 / Double(j + 1) + 0.2) } }
        return x
    }

    static func denseEigen(_ x: [Float], rows n: Int, width d: Int) throws -> LAPACK.Eigen {
        var c = Matrix<Double>(rows: d, cols: d)
        for t in 0..<n { for i in 0..<d { for j in 0..<d { c[i, j] += Double(x[t * d + i]) * Double(x[t * d + j]) / Double(n) } } }
        return try LAPACK.symmetricEigen(c)
    }

    @Test(arguments: [(40, 24), (10, 24), (24, 24)])  // n > d (moment path), n < d (Gram path), n = d
    func eigenpairs_matchDenseDecomposition(n: Int, d: Int) throws {
        let x = Self.activations(rows: n, width: d, seed: UInt64(n * 100 + d))
        var builder = ProfileBuilder()
        // Fed in uneven batches, crossing the n = d switch inside a batch.
        var start = 0
        for size in [3, 7, 1, 50] where start < n {
            let rows = min(size, n - start)
            x.withUnsafeBufferPointer { buffer in
                builder.add(site: "s", rows: MatrixView(buffer.baseAddress! + start * d, rows: rows, cols: d))
            }
            start += rows
        }
        let policy = RankPolicy(energy: 0.999, minRank: 3, maxRank: 8)
        let site = try builder.profile(of: "s", policy: policy)
        let dense = try Self.denseEigen(x, rows: n, width: d)
        #expect(site.rank == policy.rank(for: dense.values, trace: dense.values.reduce(0, +), dimension: d))
        let lambdas = site.eigenvalues
        for i in 0..<site.rank {
            #expect(abs(lambdas[i] - dense.values[i]) <= 1e-5 * dense.values[0], "λ\(i)")
            // Unit directions agree up to sign.
            let norm = lambdas[i].squareRoot()
            let dot = (0..<d).reduce(0.0) { $0 + Double(site.factors[i, $1]) / norm * dense.vectors[i, $1] }
            #expect(abs(abs(dot) - 1) < 1e-4, "direction \(i): |u·v| = \(abs(dot))")
        }
        #expect(abs(site.trace - dense.values.reduce(0, +)) <= 1e-10 * site.trace)
        let expectedTail = site.rank < dense.values.count ? dense.values[site.rank] : 0
        #expect(abs(Double(site.tail) - max(expectedTail, 0)) <= 1e-5 * dense.values[0])
        for j in 0..<d {
            let mean = (0..<n).reduce(0.0) { $0 + Double(x[$1 * d + j]) } / Double(n)
            #expect(abs(Double(site.mean[j]) - mean) < 1e-6)
        }
    }

    @Test func rankPolicy_followsSpec() {
        let policy = RankPolicy(energy: 0.9, minRank: 2, maxRank: 5)
        // One massive direction holding 99% of the trace: raised to min_rank.
        #expect(policy.rank(for: [99, 0.5, 0.3, 0.2], trace: 100, dimension: 4) == 2)
        // Flat spectrum: capped at max_rank.
        #expect(policy.rank(for: [Double](repeating: 1, count: 10), trace: 10, dimension: 10) == 5)
        // Never more than the positive eigenvalues.
        #expect(policy.rank(for: [3, 0, 0], trace: 3, dimension: 3) == 1)
        #expect(policy.rank(for: [4, 3, 2, 1], trace: 10, dimension: 4) == 3)  // 4+3+2 reaches 0.9 of 10
    }
}
