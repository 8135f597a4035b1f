import Foundation

/// How `restore.tune` looks for `(α, γ)`: the coarse grid first, then golden-section
/// refinement on `log α` and then `log γ` between the grid's best and the neighbour on
/// the side that can beat it, within a budget of evaluations. It never writes anything:
/// `evaluate` measures settings without writing.
///
/// The order is the rule's (docs/spec.md §8): a setting within the retain tolerance beats
/// one outside it; of two within it, the higher forget perplexity wins; of two outside it,
/// the lower retain perplexity. Along `α` that order rises to the smallest `α` that meets
/// the tolerance and falls after it, and along `γ` to the largest `γ` that does, which is
/// what golden-section search needs.
struct TuneSearch {
    /// One evaluated setting.
    struct Trial: Sendable, Equatable {
        let alpha: Double
        let gamma: Double
        let retainPPL: Double
        /// Nil for a setting outside the tolerance: the rule never compares its forgetting,
        /// so it is not measured.
        let forgetPPL: Double?
        /// `update_kept` the restore would report.
        let updateKept: Double
        /// `grid` or `refine`.
        let stage: Stage
    }

    /// Where in the search a setting was tried.
    enum Stage: String, Sendable {
        case grid, refine
    }

    let alphas: [Double]
    let gammas: [Double]
    /// Evaluations in all, the grid's included (at least the grid's size).
    let budget: Int
    /// Acceptable: retain perplexity ≤ `tolerance` × `baseRetainPPL` (on the tuning data).
    let tolerance: Double
    let baseRetainPPL: Double
    /// Above this `update_kept`, a setting within 1% of the best's forget perplexity and
    /// with a smaller `update_kept` is preferred.
    let maxUpdateGain: Double

    /// Golden-section evaluations planned for each of `log α` and `log γ` after the grid
    /// (each search needs two to start); `α`'s, when it is not refined, go to `γ`.
    var refinementSteps: (alpha: Int, gamma: Int) {
        let spare = max(0, budget - alphas.count * gammas.count)
        let gamma = gammas.count > 1 && spare / 2 >= 2 ? spare / 2 : 0
        let alpha = alphas.count > 1 && spare - gamma >= 2 ? spare - gamma : 0
        return (alpha, gamma)
    }

    /// Runs the search; `evaluate` measures a batch of `(α, γ)` (in one pass) and returns
    /// a trial for each, in order (forget perplexity may be left out for settings outside
    /// the tolerance: ``isAcceptable(retainPPL:)``).
    ///
    /// - Returns: every trial in the order tried, and the index of the chosen one.
    func run(evaluate: ([(alpha: Double, gamma: Double)], Stage) throws -> [Trial]) throws -> (trials: [Trial], chosen: Int) {
        var trials = try evaluate(alphas.flatMap { a in gammas.map { (alpha: a, gamma: $0) } }, .grid)
        let steps = refinementSteps
        var best = trials[choose(trials)]
        // Only one side of the best point can hold a better setting: within the tolerance,
        // smaller α and larger γ forget more; outside it, larger α and smaller γ restore
        // more. An axis whose side has no grid neighbour is not refined, and what it
        // would have spent goes to the other axis or is not spent.
        if steps.alpha > 0, let (lo, hi) = Self.bracket(alphas, at: best.alpha, larger: !isAcceptable(retainPPL: best.retainPPL)) {
            best = try refine(from: lo, to: hi, steps: steps.alpha, trials: &trials, evaluate: evaluate) { (alpha: $0, gamma: best.gamma) }
        }
        let spare = budget - trials.count
        if gammas.count > 1, spare >= 2, let (lo, hi) = Self.bracket(gammas, at: best.gamma, larger: isAcceptable(retainPPL: best.retainPPL)) {
            best = try refine(from: lo, to: hi, steps: spare, trials: &trials, evaluate: evaluate) { (alpha: best.alpha, gamma: $0) }
        }
        return (trials, choose(trials))
    }

    /// `value` and its grid neighbour on the larger or the smaller side, nil at that edge.
    static func bracket(_ axis: [Double], at value: Double, larger: Bool) -> (Double, Double)? {
        let sorted = axis.sorted()
        let index = sorted.firstIndex(of: value)!
        if larger { return index + 1 < sorted.count ? (value, sorted[index + 1]) : nil }
        return index > 0 ? (sorted[index - 1], value) : nil
    }

    /// Golden-section search in log space on `[loValue, hiValue]`.
    private func refine(from loValue: Double, to hiValue: Double, steps: Int, trials: inout [Trial],
                        evaluate: ([(alpha: Double, gamma: Double)], Stage) throws -> [Trial],
                        setting: (Double) -> (alpha: Double, gamma: Double)) throws -> Trial {
        // γ = 0 has no logarithm: such a bracket starts just above 0 at a thousandth of
        // its other end.
        func log(_ x: Double, other: Double) -> Double { Foundation.log(x > 0 ? x : other / 1000) }
        var lo = log(loValue, other: hiValue), hi = log(hiValue, other: loValue)
        let ratio = (5.0.squareRoot() - 1) / 2
        var c = hi - ratio * (hi - lo), d = lo + ratio * (hi - lo)
        var left = try evaluate([setting(exp(c)), setting(exp(d))], .refine)
        trials += left
        var (tc, td) = (left[0], left[1])
        var remaining = steps - 2
        while remaining > 0 {
            if better(tc, than: td) {
                (hi, d, td) = (d, c, tc)
                c = hi - ratio * (hi - lo)
                left = try evaluate([setting(exp(c))], .refine)
                tc = left[0]
            } else {
                (lo, c, tc) = (c, d, td)
                d = lo + ratio * (hi - lo)
                left = try evaluate([setting(exp(d))], .refine)
                td = left[0]
            }
            trials += left
            remaining -= 1
        }
        return trials[choose(trials)]
    }

    /// Whether a setting with this retain perplexity is within the tolerance.
    func isAcceptable(retainPPL: Double) -> Bool { retainPPL <= tolerance * baseRetainPPL }

    /// Whether `a` ranks above `b` by the rule.
    func better(_ a: Trial, than b: Trial) -> Bool {
        switch (isAcceptable(retainPPL: a.retainPPL), isAcceptable(retainPPL: b.retainPPL)) {
        case (true, false): return true
        case (false, true): return false
        case (true, true): return (a.forgetPPL ?? -.infinity) > (b.forgetPPL ?? -.infinity)
        case (false, false): return a.retainPPL < b.retainPPL
        }
    }

    /// The index of the chosen trial: the rule's best, unless its `update_kept` exceeds
    /// `maxUpdateGain` and an acceptable trial within 1% of its forget perplexity keeps
    /// less of the update; then that one (the smallest `update_kept`).
    func choose(_ trials: [Trial]) -> Int {
        var best = 0
        for i in trials.indices.dropFirst() where better(trials[i], than: trials[best]) { best = i }
        let top = trials[best]
        guard top.updateKept > maxUpdateGain, isAcceptable(retainPPL: top.retainPPL), let topForget = top.forgetPPL else { return best }
        let equal = trials.indices.filter {
            isAcceptable(retainPPL: trials[$0].retainPPL) && (trials[$0].forgetPPL ?? 0) >= 0.99 * topForget
        }
        return equal.min { trials[$0].updateKept < trials[$1].updateKept } ?? best
    }
}
