import Linalg

/// The retain statistics of one input site (docs/spec.md §2): the leading factors of the
/// uncentered second moment `C`, the mean, the exact trace and the first dropped
/// eigenvalue.
public struct SiteProfile: Sendable {
    public let name: String
    /// `F` (`k × d`, F32): row `i` is `√λᵢ · uᵢᵀ`, rows by decreasing energy; `FᵀF ≈ C`.
    public let factors: Matrix<Float>
    /// `μ` (`d`).
    public let mean: [Float]
    /// `tr(C)`, exact, in F64.
    public let trace: Double
    /// `λ_{k+1}` (0 when `k = d`): what each dropped direction can hold at most.
    public let tail: Float

    public init(name: String, factors: Matrix<Float>, mean: [Float], trace: Double, tail: Float) {
        self.name = name
        self.factors = factors
        self.mean = mean
        self.trace = trace
        self.tail = tail
    }

    /// Input width `d`.
    public var dimension: Int { factors.cols }
    /// Number of factors `k`.
    public var rank: Int { factors.rows }

    /// `λᵢ = ‖fᵢ‖²`, accumulated in F64.
    public var eigenvalues: [Double] {
        (0..<rank).map { i in
            factors.storage[(i * dimension)..<((i + 1) * dimension)].reduce(0.0) { $0 + Double($1) * Double($1) }
        }
    }

    /// Share of `tr(C)` the factors keep (`Σλᵢ / tr C`).
    public var energyKept: Double {
        trace > 0 ? eigenvalues.reduce(0, +) / trace : 1
    }
}

/// How a profiled module's weight is stored.
public enum WeightLayout: String, Sendable, Codable {
    /// `[out, in]`, PyTorch `nn.Linear`.
    case outIn = "out_in"
    /// `[in, out]`, GPT-2 `Conv1D`: transposed on read.
    case inOut = "in_out"
}

/// A profiled module: the weight's name, the site whose input it reads, and its layout.
public struct ProfiledModule: Sendable, Equatable {
    public let weight: String
    public let site: String
    public let layout: WeightLayout

    public init(weight: String, site: String, layout: WeightLayout) {
        self.weight = weight
        self.site = site
        self.layout = layout
    }
}
