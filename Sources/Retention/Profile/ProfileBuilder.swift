import Linalg

/// How many factors a site keeps (docs/spec.md §2).
public struct RankPolicy: Sendable {
    /// Share of `tr(C)` the kept eigenvalues must reach.
    public var energy: Double = 0.999
    /// At least this many factors: one massive-activation direction can hold 99.9% of
    /// the trace and would otherwise leave k = 1.
    public var minRank: Int = 16
    /// At most this many factors.
    public var maxRank: Int = 256

    public init(energy: Double = 0.999, minRank: Int = 16, maxRank: Int = 256) {
        self.energy = energy
        self.minRank = minRank
        self.maxRank = maxRank
    }

    /// `k` for eigenvalues `values` (descending, possibly only the leading ones) of a
    /// matrix with trace `trace` and size `d`.
    public func rank(for values: [Double], trace: Double, dimension d: Int) -> Int {
        var cumulative = 0.0
        var k = values.count
        for (i, v) in values.enumerated() {
            cumulative += v
            if cumulative >= energy * trace { k = i + 1; break }
        }
        k = max(k, minRank)
        let positive = values.prefix { $0 > 0 && $0 > values[0] * 1e-12 }.count
        return max(1, min(k, maxRank, d, positive))
    }
}

/// Accumulates activations per site and decomposes them into a ``SiteProfile``.
///
/// Statistics are kept in F64. While a site has seen no more rows than its width, the
/// rows themselves are kept (`n·d` numbers) and decomposed through the `n × n` Gram
/// matrix; past that, they are folded into the `d × d` second moment. Memory per site
/// is therefore `min(n, d) · d`, never `d²` when `n < d`.
public struct ProfileBuilder: Sendable {
    private var accumulators: [String: SiteAccumulator] = [:]

    public init() {}

    /// Adds `rows` (`n × d`, one token per row) to `site`.
    public mutating func add(site: String, rows: MatrixView<Float>) {
        if accumulators[site] == nil { accumulators[site] = SiteAccumulator(dimension: rows.cols) }
        precondition(accumulators[site]!.dimension == rows.cols, "site \(site): width changed from \(accumulators[site]!.dimension) to \(rows.cols)")
        accumulators[site]!.add(rows)
    }

    /// Rows seen by `site`.
    public func tokens(of site: String) -> Int { accumulators[site]?.count ?? 0 }

    /// Sites seen so far.
    public var siteNames: [String] { accumulators.keys.sorted() }

    /// Decomposes one site.
    public func profile(of site: String, policy: RankPolicy = RankPolicy()) throws(LinalgError) -> SiteProfile {
        try accumulators[site]!.decompose(name: site, policy: policy)
    }

    /// Decomposes one site and frees its statistics: for a caller that has fed it every row
    /// (a layer-major capture finishing a layer), so memory holds one layer's sites at a time.
    public mutating func finish(site: String, policy: RankPolicy = RankPolicy()) throws(LinalgError) -> SiteProfile {
        defer { accumulators[site] = nil }
        return try profile(of: site, policy: policy)
    }
}

/// F64 running statistics of one site.
struct SiteAccumulator: Sendable {
    let dimension: Int
    private(set) var count = 0
    private var sum: [Double]
    private var squaredNorms = 0.0
    /// Raw rows (row-major, `count × d`) while `count ≤ d`.
    private var rows: [Double] = []
    /// `Σ x xᵀ` (upper triangle) once `count > d`.
    private var moment: Matrix<Double>? = nil

    init(dimension: Int) {
        self.dimension = dimension
        self.sum = [Double](repeating: 0, count: dimension)
    }

    mutating func add(_ batch: MatrixView<Float>) {
        let d = dimension
        var converted = [Double](repeating: 0, count: batch.rows * d)
        for r in 0..<batch.rows {
            let src = batch.base + r * batch.rowStride
            for j in 0..<d {
                let v = Double(src[j])
                converted[r * d + j] = v
                sum[j] += v
                squaredNorms += v * v
            }
        }
        count += batch.rows
        if moment == nil && count <= d {
            rows += converted
            return
        }
        if moment == nil {
            var m = Matrix<Double>(rows: d, cols: d)
            let kept = rows
            Matrix<Double>(rows: kept.count / d, cols: d, storage: kept).withView { v in
                m.withMutableView { BLAS.syrkTransposed(v, into: $0) }
            }
            rows = []
            moment = m
        }
        let block = Matrix<Double>(rows: batch.rows, cols: d, storage: converted)
        block.withView { v in moment!.withMutableView { BLAS.syrkTransposed(v, into: $0) } }
    }

    func decompose(name: String, policy: RankPolicy) throws(LinalgError) -> SiteProfile {
        let d = dimension, n = Double(count)
        let trace = squaredNorms / n
        var values: [Double]
        var directions: Matrix<Double>  // unit rows
        if var c = moment {
            for i in 0..<c.storage.count { c.storage[i] /= n }
            let eigen = try LAPACK.topEigen(c, count: min(policy.maxRank + 1, d))
            values = eigen.values
            directions = eigen.vectors
        } else {
            // C = XᵀX/n shares its non-zero eigenvalues with G = XXᵀ/n; u = Xᵀv/√(nλ).
            let x = Matrix<Double>(rows: count, cols: d, storage: rows)
            let g = BLAS.product(x, .none, x, .transpose, alpha: 1 / n)
            let eigen = try LAPACK.symmetricEigen(g)
            values = eigen.values
            directions = Matrix(rows: count, cols: d)
            for i in 0..<count where values[i] > 0 {
                let scale = 1 / (n * values[i]).squareRoot()
                for t in 0..<count {
                    let coefficient = eigen.vectors[i, t] * scale
                    if coefficient == 0 { continue }
                    for j in 0..<d { directions.storage[i * d + j] += coefficient * rows[t * d + j] }
                }
            }
        }
        values = values.map { max($0, 0) }
        let k = policy.rank(for: values, trace: trace, dimension: d)
        var factors = Matrix<Float>(rows: k, cols: d)
        for i in 0..<k {
            let s = values[i].squareRoot()
            for j in 0..<d { factors.storage[i * d + j] = Float(s * directions[i, j]) }
        }
        let tail = k < values.count ? Float(values[k]) : 0
        return SiteProfile(name: name, factors: factors, mean: sum.map { Float($0 / n) }, trace: trace, tail: tail)
    }
}
