import Foundation
import History
import TestSupport

/// A real SQLite history written through `HistoryStore`, shaped like two training runs:
/// passed, restored (with drift_after and perplexities), flagged, unchanged and rejected
/// checkpoints, each with 4 layers × 7 module kinds. The report tests read it back.
struct ReportHistory {
    let directory: String
    let config: String
    let database: String
    /// The finished rows, as stored (with ids).
    var records: [CheckpointRecord] = []
    var modules: [Int64: [ModuleRecord]] = [:]
    /// The Llama projections and the block each sits in.
    static let kinds = ["q_proj": "self_attn", "k_proj": "self_attn", "v_proj": "self_attn", "o_proj": "self_attn",
                        "gate_proj": "mlp", "up_proj": "mlp", "down_proj": "mlp"]

    init() throws {
        directory = NSTemporaryDirectory() + "retaind-report-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        database = directory + "/history.sqlite"
        config = directory + "/retaind.toml"
        try """
            [store]
            database = "\(database)"
            [[watch]]
            name = "train"
            dirs = ["\(directory)/runs"]
            base = "\(DaemonHarness.fixtures)base"
            retain_profile = "\(DaemonHarness.fixtures)retain.profile.safetensors"
            [watch.gate]
            threshold = 0.3
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let store = try HistoryStore(path: database)
        let now = Date()
        // (run, step, status, drift, drift_after)
        let plan: [(String, Int, CheckpointStatus, Double?, Double?)] = [
            ("exp-a", 100, .passed, 0.05, nil), ("exp-a", 200, .passed, 0.12, nil), ("exp-a", 300, .restored, 0.45, 0.08),
            ("exp-a", 400, .rejected, nil, nil), ("exp-a", 500, .unchanged, 0, nil), ("exp-a", 600, .restored, 0.61, 0.1),
            ("exp-a", 700, .flagged, 0.5, nil), ("exp-a", 800, .passed, 0.2, nil),
            ("exp-b", 50, .passed, 0.1, nil), ("exp-b", 100, .restored, 0.35, 0.05), ("exp-b", 150, .passed, 0.15, nil),
        ]
        for (i, (run, step, status, drift, after)) in plan.enumerated() {
            let detected = now.addingTimeInterval(-Double(plan.count - i) * 3600)
            var record = try store.begin(CheckpointRecord(path: "\(directory)/runs/\(run)/checkpoint-\(step)", watch: "train",
                                                          signature: "sig\(i)", detectedAt: detected))
            record.status = status
            record.drift = drift
            record.threshold = status == .rejected ? nil : 0.3
            record.fingerprint = status == .rejected ? nil : String(format: "%064x", i + 1)
            if status == .rejected { record.error = "model.safetensors: header length 9999999999 exceeds the file" }
            if let after {
                record.driftAfter = after
                record.restoredPath = "\(directory)/out/\(run)/checkpoint-\(step)"
                record.retainPPLBase = 12.0
                record.retainPPLBefore = 12.0 + drift! * 10
                record.retainPPLAfter = 12.0 + after * 10
                record.forgetPPLBefore = 30.0 - drift! * 10
                record.forgetPPLAfter = 30.0 + after * 40
            }
            var rows: [ModuleRecord] = []
            if let drift {
                for layer in 0..<4 {
                    for (k, (kind, block)) in Self.kinds.sorted(by: { $0.key < $1.key }).enumerated() {
                        let rho = drift * (0.5 + Double(layer) * 0.25 + Double(k) * 0.03)
                        rows.append(ModuleRecord(checkpointID: record.id!, name: "model.layers.\(layer).\(block).\(kind)", site: "s", rho: rho,
                                                 beta: 0.1, energy: 1, referenceEnergy: 1, energyUpper: 1,
                                                 rhoAfter: after.map { rho * $0 / drift }))
                    }
                }
            }
            try store.finish(record, modules: rows)
            records.append(record)
            modules[record.id!] = rows
        }
    }

    /// Runs `retaind` with this history's configuration.
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> RetaindProcess.Result {
        try RetaindProcess.run(arguments + ["--config", config], environment: environment)
    }

    /// The step a row's checkpoint name ends with.
    static func step(_ record: CheckpointRecord) -> Int { Int(record.path.split(separator: "-").last!)! }
}
