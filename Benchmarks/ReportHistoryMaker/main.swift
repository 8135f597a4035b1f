// A history to time `retaind report` on: `ReportHistoryMaker DIR [CHECKPOINTS] [LAYERS]`
// writes DIR/history.sqlite (CHECKPOINTS outcomes, default 1000, over 10 runs, each with
// LAYERS × 7 module rows, default 30 × 7 = 210; those over the threshold restored, with
// perplexities, or flagged; some unchanged and rejected) and DIR/retaind.toml naming it.
import Foundation
import History

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: ReportHistoryMaker DIR [CHECKPOINTS] [LAYERS]")
    exit(64)
}
let directory = arguments[1]
let count = arguments.count > 2 ? Int(arguments[2])! : 1000
let layers = arguments.count > 3 ? Int(arguments[3])! : 30
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Tests/Fixtures/tiny-llama").path
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
try? FileManager.default.removeItem(atPath: directory + "/history.sqlite")
try """
    [store]
    database = "\(directory)/history.sqlite"
    [[watch]]
    name = "train"
    dirs = ["\(directory)/runs"]
    base = "\(fixtures)/base"
    retain_profile = "\(fixtures)/retain.profile.safetensors"
    [watch.gate]
    threshold = 0.3
    """.write(toFile: directory + "/retaind.toml", atomically: true, encoding: .utf8)

let store = try HistoryStore(path: directory + "/history.sqlite")
let kinds = [("self_attn", "q_proj"), ("self_attn", "k_proj"), ("self_attn", "v_proj"), ("self_attn", "o_proj"),
             ("mlp", "gate_proj"), ("mlp", "up_proj"), ("mlp", "down_proj")]
let runs = 10
let start = Date(timeIntervalSinceNow: -Double(count) * 600)
for i in 0..<count {
    let run = i % runs, step = (i / runs + 1) * 500
    var record = try store.begin(CheckpointRecord(path: "\(directory)/runs/run-\(run)/checkpoint-\(step)", watch: "train",
                                                  signature: "s\(i)", detectedAt: start.addingTimeInterval(Double(i) * 600)))
    // Drift rises through a run (faster in later runs) with some noise; over the threshold
    // most are restored, every seventh only flagged.
    let progress = Double(i / runs) / Double(max(1, count / runs))
    let drift = 0.05 + (0.3 + 0.05 * Double(run)) * progress + 0.04 * sin(Double(i) * 0.7)
    record.status = i % 71 == 9 ? .rejected : i % 53 == 7 ? .unchanged : drift <= 0.3 ? .passed : i % 7 == 0 ? .flagged : .restored
    record.threshold = 0.3
    if record.status == .rejected {
        record.error = "model.safetensors: truncated"
    } else {
        record.drift = record.status == .unchanged ? 0 : drift
        record.fingerprint = String(format: "%064x", i + 1)
    }
    if record.status == .restored {
        record.driftAfter = drift * 0.2
        record.restoredPath = "\(directory)/out/run-\(run)/checkpoint-\(step)"
        record.retainPPLBase = 11.5
        record.retainPPLBefore = 11.5 + drift * 8
        record.retainPPLAfter = 11.5 + drift * 2
        record.forgetPPLBefore = 40 - drift * 20
        record.forgetPPLAfter = 40 - drift * 5
    }
    var modules: [ModuleRecord] = []
    if let drift = record.drift {
        for layer in 0..<layers {
            for (k, (block, kind)) in kinds.enumerated() {
                let rho = drift * (0.4 + 1.2 * Double(layer) / Double(layers) + 0.1 * Double(k))
                modules.append(ModuleRecord(checkpointID: record.id!, name: "model.layers.\(layer).\(block).\(kind)", site: "s", rho: rho,
                                            beta: 0.1, energy: 1, referenceEnergy: 1, energyUpper: 1,
                                            rhoAfter: record.driftAfter.map { rho * $0 / drift }))
            }
        }
    }
    try store.finish(record, modules: modules)
}
print("\(directory)/history.sqlite: \(count) checkpoints × \(layers * kinds.count) modules; config \(directory)/retaind.toml")
