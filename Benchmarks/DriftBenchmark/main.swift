// Drift pass throughput: one-shot (reference computed in the same pass) and cached
// (the daemon's steady state), against the sgemm peak measured in the same process on
// the pass's own shapes. Usage: DriftBenchmark BASE CANDIDATE PROFILE [repeats]
import BenchmarkSupport
import Foundation
import Linalg
import Retention
import SafeTensors

let arguments = CommandLine.arguments
guard arguments.count >= 4 else {
    print("usage: DriftBenchmark BASE CANDIDATE PROFILE [repeats]")
    exit(64)
}
let repeats = arguments.count > 4 ? Int(arguments[4]) ?? 3 : 3
BLAS.useAllCoresForPasses()  // as retaind does; the sgemm peak below uses the same threads
let base = try Checkpoint.open(arguments[1])
let candidate = try Checkpoint.open(arguments[2])
let profile = try RetainProfile.read(arguments[3])

// Arithmetic of one product W Fᵀ over every profiled module.
var productFlops = 0.0
var shapes: [(Int, Int, Int)] = []
for name in profile.moduleNames {
    let t = base.location(of: name)!.tensor
    let k = profile.site(of: name)!.rank
    productFlops += 2 * Double(t.shape[0]) * Double(t.shape[1]) * Double(k)
    shapes.append((t.shape[0], t.shape[1], k))
}
let candidateBytes = Double(candidate.tensors.reduce(0) { $0 + $1.byteCount })

var reference: BaseReference? = nil
let oneShot = try medianSeconds(repeats: repeats) { _ in reference = try Drift.measure(candidate: candidate, base: base, profile: profile).reference }
let cached = try medianSeconds(repeats: repeats) { _ in _ = try Drift.measure(candidate: candidate, base: base, profile: profile, reference: reference) }

// sgemm peak on the same shapes: (m×d)·(d×k) from F32 buffers already in memory.
let maxElements = shapes.map { $0.0 * $0.1 }.max()!
var w = [Float](repeating: 0.01, count: maxElements)
var f = [Float](repeating: 0.02, count: 8192 * 64)
var p = [Float](repeating: 0, count: 8192 * 64)
var unique: [(Int, Int, Int)] = []
for s in shapes where !unique.contains(where: { $0 == s }) { unique.append(s) }
var gemmSeconds = 0.0, gemmFlops = 0.0
for (m, d, k) in unique {
    let t0 = now()
    for _ in 0..<3 {
        w.withUnsafeBufferPointer { wb in f.withUnsafeBufferPointer { fb in p.withUnsafeMutableBufferPointer { pb in
            BLAS.gemm(MatrixView(wb.baseAddress!, rows: m, cols: d), .none, MatrixView(fb.baseAddress!, rows: k, cols: d), .transpose,
                      into: MutableMatrixView(pb.baseAddress!, rows: m, cols: k))
        } } }
    }
    gemmSeconds += now() - t0
    gemmFlops += 3 * 2 * Double(m * d * k)
}
let peak = gemmFlops / gemmSeconds / 1e9

let result: [String: Any] = [
    "threads": BLAS.threads,
    "candidate_gib": candidateBytes / Double(1 << 30),
    "one_shot_seconds": oneShot, "cached_seconds": cached,
    // A version 2 profile stores W0's products: the one-shot pass computes ΔFᵀ only.
    "one_shot_gflops": (profile.hasReferences ? 1 : 2) * productFlops / oneShot / 1e9, "cached_gflops": productFlops / cached / 1e9,
    "sgemm_peak_gflops": peak,
    "one_shot_candidate_gbps": candidateBytes / oneShot / 1e9, "cached_candidate_gbps": candidateBytes / cached / 1e9,
]
print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
