// Writes a retaind history whose outbox holds N finished outcomes with M module rows
// each (real module names of a 30-layer Llama: 7 linear kinds), for
// Benchmarks/central.sh to measure how fast a daemon drains it to PostgreSQL.
//
//   CentralBacklogMaker HISTORY.sqlite [OUTCOMES=1000] [MODULES=210]
import Foundation
import History

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: CentralBacklogMaker HISTORY.sqlite [OUTCOMES] [MODULES]\n".utf8))
    exit(64)
}
let outcomes = arguments.count > 2 ? Int(arguments[2]) ?? 1000 : 1000
let modulesPerOutcome = arguments.count > 3 ? Int(arguments[3]) ?? 210 : 210
let kinds = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]
let store = try HistoryStore(path: arguments[1])
let started = Date()
for i in 0..<outcomes {
    var record = try store.begin(CheckpointRecord(path: "/srv/runs/run-\(i / 100)/checkpoint-\(i % 100 * 50)", watch: "runs",
                                                  signature: "sig-\(i)", detectedAt: Date()))
    let restored = i % 3 == 0
    record.status = restored ? .restored : .passed
    record.fingerprint = String(format: "%064x", i)
    record.drift = 0.0005 + 0.00001 * Double(i % 100)
    record.driftMax = record.drift! * 4
    record.threshold = 0.001
    record.restoredPath = restored ? "/var/lib/retaind/restored/runs/run-\(i / 100)/checkpoint-\(i % 100 * 50)" : nil
    record.driftAfter = restored ? 0.0002 : nil
    record.finishedAt = Date()
    record.driftSeconds = 2.5
    let id = record.id!
    let modules = (0..<modulesPerOutcome).map { m in
        ModuleRecord(checkpointID: id, name: "model.layers.\(m / kinds.count).\(kinds[m % kinds.count]).weight", site: "site-\(m % 4)",
                     rho: 0.001 * Double(m % 17), beta: 0.0001, energy: 1.5, referenceEnergy: 1000, energyUpper: 2,
                     rhoAfter: restored ? 0.0003 : nil, updateKept: restored ? 0.8 : nil, forgetKept: restored ? 0.9 : nil)
    }
    try store.finish(record, modules: modules)
}
print("wrote \(outcomes) outcomes × \(modulesPerOutcome) modules in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; backlog \(try store.backlog())")
