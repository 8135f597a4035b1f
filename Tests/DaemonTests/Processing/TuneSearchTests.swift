import Foundation
import Testing
@testable import Daemon

/// The search `restore.tune` runs, on a synthetic response with a known answer: retain
/// perplexity falls with α and rises with γ, forget perplexity falls with α and rises
/// with γ, as they do for SAGE restores.
struct TuneSearchTests {
    static let base = 10.0

    /// Retain perplexity `base · (1 + 0.5/(1 + α) + 0.002 γ)`, forget `20 + 30/(1 + α) + 4 log(1 + γ)`.
    static func measure(_ alpha: Double, _ gamma: Double) -> (retain: Double, forget: Double) {
        (base * (1 + 0.5 / (1 + alpha) + 0.002 * gamma), 20 + 30 / (1 + alpha) + 4 * log(1 + gamma))
    }

    static func search(budget: Int, tolerance: Double = 1.05, maxUpdateGain: Double = 4) -> TuneSearch {
        TuneSearch(alphas: [1, 10, 100], gammas: [1, 10, 100], budget: budget, tolerance: tolerance, baseRetainPPL: base,
                   maxUpdateGain: maxUpdateGain)
    }

    static func run(_ search: TuneSearch, updateKept: @escaping (Double, Double) -> Double = { _, _ in 1 })
        throws -> (trials: [TuneSearch.Trial], chosen: Int, passes: [Int]) {
        var passes: [Int] = []
        let (trials, chosen) = try search.run { settings, stage in
            passes.append(settings.count)
            return settings.map {
                let m = measure($0.alpha, $0.gamma)
                // As the daemon does: forgetting is measured only within the tolerance.
                return TuneSearch.Trial(alpha: $0.alpha, gamma: $0.gamma, retainPPL: m.retain,
                                        forgetPPL: search.isAcceptable(retainPPL: m.retain) ? m.forget : nil,
                                        updateKept: updateKept($0.alpha, $0.gamma), stage: stage)
            }
        }
        return (trials, chosen, passes)
    }

    @Test func gridOnly_choosesByTheRule() throws {
        let (trials, chosen, passes) = try Self.run(Self.search(budget: 9))
        #expect(trials.count == 9 && passes == [9], "the grid in one pass")
        // Within 1.05 × base: 0.5/(1+α) + 0.002γ ≤ 0.05. Of the grid, (10, 1), (100, 1) and
        // (100, 10) pass; the most forgetting of those is (100, 10): 29.9.
        #expect((trials[chosen].alpha, trials[chosen].gamma) == (100, 10))
    }

    @Test func refinement_findsTheToleranceBoundary_withinBudget() throws {
        let grid = try Self.run(Self.search(budget: 9))
        let (trials, chosen, passes) = try Self.run(Self.search(budget: 15))
        #expect(trials.count == 15)
        #expect(passes.first == 9 && passes.dropFirst().allSatisfy { $0 <= 2 }, "\(passes)")
        #expect(trials.filter { $0.stage == .refine }.count == 6)
        let best = trials[chosen]
        #expect(best.retainPPL <= 1.05 * Self.base)
        #expect(best.forgetPPL! > grid.trials[grid.chosen].forgetPPL!, "refinement gains forgetting over the grid's best")
        // For γ = 10 the boundary is 0.5/(1+α) = 0.03: α* = 15.7. Three golden-section steps
        // on log α in [10, 100] end in a bracket around it.
        #expect(best.alpha > 10 && best.alpha < 25, "α \(best.alpha)")
        // The chosen is the rule's best of every trial recorded.
        let limit = 1.05 * Self.base
        let expected = trials.indices.filter { trials[$0].retainPPL <= limit }.max { trials[$0].forgetPPL! < trials[$1].forgetPPL! }
        #expect(chosen == expected)
        #expect(trials.contains { $0.forgetPPL == nil }, "some settings were judged on retain perplexity alone")
        // γ is refined only above the best's γ (10): below it, settings forget less.
        let gammaSteps = trials.filter { $0.stage == .refine && $0.gamma != 10 }
        #expect(gammaSteps.count == 3 && gammaSteps.allSatisfy { $0.gamma > 10 && $0.gamma < 100 }, "\(gammaSteps.map(\.gamma))")
    }

    @Test func bestAtTheGridsEdge_spendsNothingWhereNothingCanBeBetter() throws {
        // Everything is within a 2× tolerance: the most forgetting of the grid is at the
        // smallest α and the largest γ, and no setting between grid points can beat it.
        let (trials, chosen, passes) = try Self.run(Self.search(budget: 15, tolerance: 2))
        #expect(passes == [9], "\(passes)")
        #expect((trials[chosen].alpha, trials[chosen].gamma) == (1, 100))
    }

    @Test func alphaAtItsEdge_leavesItsEvaluationsToGamma() throws {
        // Within 1.3×: α = 1 passes for γ ≤ 25 (0.25 + 0.002γ ≤ 0.3), so the grid's best is
        // (1, 10), at α's lower edge; γ gets all six refinements, in (10, 100).
        let (trials, chosen, _) = try Self.run(Self.search(budget: 15, tolerance: 1.3))
        let refined = trials.filter { $0.stage == .refine }
        #expect(refined.count == 6 && refined.allSatisfy { $0.alpha == 1 && $0.gamma > 10 && $0.gamma < 100 }, "\(refined)")
        #expect(trials[chosen].gamma > 18 && trials[chosen].gamma <= 25, "γ \(trials[chosen].gamma)")
    }

    @Test func noSettingWithinTolerance_choosesTheLowestRetainPerplexity() throws {
        let (trials, chosen, _) = try Self.run(Self.search(budget: 12, tolerance: 1.0))
        #expect(trials[chosen].retainPPL == trials.map(\.retainPPL).min())
    }

    @Test func largeUpdateKept_prefersAnEquallyGoodSmallerUpdate() {
        func trial(_ alpha: Double, retain: Double, forget: Double, kept: Double) -> TuneSearch.Trial {
            TuneSearch.Trial(alpha: alpha, gamma: 10, retainPPL: retain, forgetPPL: forget, updateKept: kept, stage: .grid)
        }
        let trials = [
            trial(1, retain: 11, forget: 40, kept: 1),        // outside the tolerance
            trial(100, retain: 10.4, forget: 30.0, kept: 6),  // the rule's best, update_kept 6
            trial(300, retain: 10.2, forget: 29.8, kept: 2),  // within 1% of it
            trial(1000, retain: 10.1, forget: 25, kept: 1.2), // not equal
        ]
        #expect(Self.search(budget: 9, maxUpdateGain: 4).choose(trials) == 2)
        #expect(Self.search(budget: 9, maxUpdateGain: 10).choose(trials) == 1, "under max_update_gain the rule's best stands")
    }

    @Test func budgetSplit_needsTwoEvaluationsPerAxis() {
        #expect(Self.search(budget: 9).refinementSteps == (0, 0))
        #expect(Self.search(budget: 10).refinementSteps == (0, 0))
        #expect(Self.search(budget: 11).refinementSteps == (2, 0))
        #expect(Self.search(budget: 13).refinementSteps == (2, 2))
        #expect(Self.search(budget: 15).refinementSteps == (3, 3))
        let retainOnly = TuneSearch(alphas: [1, 10, 100], gammas: [0], budget: 8, tolerance: 1.05, baseRetainPPL: 1, maxUpdateGain: 4)
        #expect(retainOnly.refinementSteps == (5, 0))
    }
}
