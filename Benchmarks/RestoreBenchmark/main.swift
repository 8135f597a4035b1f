// The restore step as the daemon runs it — after the drift pass it needs for the gate —
// against that drift pass and a plain copy with fsync, in one process:
// RestoreBenchmark BASE CANDIDATE PROFILE SCRATCH_DIR [repeats]. Prints medians as JSON
// and the goal, restore ≤ drift + 1.5 × copy.
import BenchmarkSupport
import Foundation
import Linalg
import Retention
import SafeTensors

let arguments = CommandLine.arguments
guard arguments.count >= 5 else {
    print("usage: RestoreBenchmark BASE CANDIDATE PROFILE SCRATCH_DIR [repeats]")
    exit(64)
}
let repeats = arguments.count > 5 ? Int(arguments[5]) ?? 3 : 3
let scratch = arguments[4]
BLAS.useAllCoresForPasses()
let base = try Checkpoint.open(arguments[1])
let candidate = try Checkpoint.open(arguments[2])
let profile = try RetainProfile.read(arguments[3])

var measured: Drift.Measurement? = nil
let drift = try medianSeconds(repeats: repeats) { _ in measured = try Drift.measure(candidate: candidate, base: base, profile: profile) }
let restore = try medianSeconds(repeats: repeats) { i in
    let out = scratch + "/restored-\(i)"
    _ = try Restore.run(candidate: candidate, base: base, retain: profile, forget: nil,
                        options: RestoreOptions(alpha: 10, outputDType: .source), destination: out, measured: measured)
    try FileManager.default.removeItem(atPath: out)
}
let copy = try medianSeconds(repeats: repeats) { i in
    let out = scratch + "/copy-\(i)"
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    // A plain read + write copy in 8 MiB chunks, then fsync: what writing the output costs
    // without any compute.
    var buffer = [UInt8](repeating: 0, count: 8 << 20)
    for file in candidate.files {
        let input = open(file.path, O_RDONLY)
        let output = open(out + "/" + (file.path as NSString).lastPathComponent, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            _ = buffer.withUnsafeBytes { write(output, $0.baseAddress, n) }
        }
        fsync(output)
        close(input)
        close(output)
    }
    try FileManager.default.removeItem(atPath: out)
}
let goal = drift + 1.5 * copy
let result: [String: Any] = [
    "drift_seconds": drift, "restore_step_seconds": restore, "copy_seconds": copy,
    "goal_seconds": goal, "goal_met": restore <= goal, "repeats": repeats,
]
print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
