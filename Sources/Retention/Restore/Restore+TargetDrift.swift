import Linalg
import SafeTensors

/// Target-drift mode (docs/spec.md §4): the smallest `α` in `[1e-3, 1e6]` whose `drift_after`
/// is at most the target, found by bisection on `log α` in the reduced space
/// `D Fᵀ = ΔFᵀ − (ΔQ) M (QᵀFᵀ)`: one pass over the weights gathers `ΔFᵀ` and `ΔQ` per
/// module, and each trial `α` costs only `r × r` solves and small products.
extension Restore {
    static let alphaRange = 1e-3...1e6

    /// One module's reduced quantities, F64: `P = ΔFᵀ` (`m × k`), `G = ΔQ` (`m × r`), and `R`.
    struct ReducedModule {
        let key: String
        let p: Matrix<Double>
        let g: Matrix<Double>
        let referenceEnergy: Double
    }

    /// The smallest `α` meeting `target`, and whether the target was reachable at all.
    static func alphaForTarget(_ target: Double, plan: Plan, gamma: Double, reference: BaseReference) throws -> (alpha: Double, reachable: Bool) {
        let reduced = try reducedModules(plan: plan, reference: reference)
        // QᵀFᵀ per site pair (r × k).
        var h: [String: Matrix<Double>] = [:]
        for module in plan.modules.values where h[module.key] == nil {
            let q = plan.bases[module.key]!.q
            let f = Matrix<Double>(rows: module.retain.rank, cols: module.retain.dimension, storage: module.retain.factors.storage.map(Double.init))
            h[module.key] = BLAS.product(q, .none, f, .transpose)
        }
        func driftAfter(_ alpha: Double) throws -> Double {
            var ms: [String: Matrix<Double>] = [:]
            for (key, basis) in plan.bases { ms[key] = try basis.m(alpha: alpha, gamma: gamma) }
            var squares = 0.0
            for module in reduced {
                // D Fᵀ = P − G (M H)
                let mh = BLAS.product(ms[module.key]!, .none, h[module.key]!, .none)
                var dft = module.p
                BLAS.gemm(module.g, .none, mh, .none, into: &dft, alpha: -1, beta: 1)
                let energy = dft.storage.reduce(0) { $0 + $1 * $1 }
                squares += module.referenceEnergy > 0 ? energy / module.referenceEnergy : 0
            }
            return (squares / Double(max(1, reduced.count))).squareRoot()
        }
        var lo = log(alphaRange.lowerBound), hi = log(alphaRange.upperBound)
        if try driftAfter(alphaRange.lowerBound) <= target { return (alphaRange.lowerBound, true) }
        guard try driftAfter(alphaRange.upperBound) <= target else { return (alphaRange.upperBound, false) }
        while hi - lo > 1e-4 {  // α to 0.01%
            let mid = (lo + hi) / 2
            if try driftAfter(exp(mid)) <= target { hi = mid } else { lo = mid }
        }
        return (exp(hi), true)
    }

    /// `ΔFᵀ` and `ΔQ` of every profiled module, from one pass over the candidate.
    static func reducedModules(plan: Plan, reference: BaseReference) throws -> [ReducedModule] {
        var out: [ReducedModule] = []
        let scratch = DeltaScratch()
        for name in plan.moduleOrder {
            let module = plan.modules[name]!
            let q = plan.bases[module.key]!.q
            let f = Matrix<Double>(rows: module.retain.rank, cols: module.retain.dimension, storage: module.retain.factors.storage.map(Double.init))
            let delta: Matrix<Double>  // logical ΔW, m × d
            if let adapter = plan.candidate.adapter {
                if let lora = adapter.module(updating: name) {
                    delta = Matrix(rows: module.geometry.outputs, cols: module.geometry.inputs,
                                   storage: logical(try adapter.delta(of: lora), module.geometry))
                } else {
                    delta = Matrix(rows: module.geometry.outputs, cols: module.geometry.inputs)
                }
            } else {
                let c = plan.candidate.location(of: name)!, b = plan.base.location(of: name)!
                var stored = [Float](repeating: 0, count: module.geometry.elementCount)
                _ = try stored.withUnsafeMutableBufferPointer {
                    try DeltaKernel.form(candidate: c, base: b, elements: 0..<module.geometry.elementCount, into: $0, keepingBase: nil, scratch: scratch)
                }
                delta = Matrix(rows: module.geometry.outputs, cols: module.geometry.inputs, storage: logical(stored, module.geometry))
            }
            let p = BLAS.product(delta, .none, f, .transpose), g = BLAS.product(delta, .none, q, .transpose)
            out.append(ReducedModule(key: module.key, p: p, g: g, referenceEnergy: reference.modules[name]!.energy))
        }
        return out
    }

    /// A stored F32 weight as the logical `m × d` matrix, in F64.
    static func logical(_ stored: [Float], _ geometry: ModuleGeometry) -> [Double] {
        let (m, d) = (geometry.outputs, geometry.inputs)
        guard geometry.layout == .inOut else { return stored.map(Double.init) }
        var out = [Double](repeating: 0, count: m * d)
        stored.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { transposeCopy(s, rows: d, cols: m, into: $0) }
        }
        return out
    }
}

import Foundation
