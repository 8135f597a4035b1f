import ArgumentParser
import Foundation
import Linalg
import Retention
import SafeTensors

/// `retaind drift`: one-off docs/spec.md §3 drift of a candidate against its base.
struct DriftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Measure the retention activation bias of a candidate checkpoint against its base.",
        discussion: """
            Prints the checkpoint's drift (RMS of per-module relative drifts ρ), the worst \
            modules and a per-layer summary; --json prints every figure with docs/spec.md §7 names. \
            Exits 1 with the reason when the candidate, base or profile cannot be used.
            """
    )

    @Option(help: "The base checkpoint the profile was captured on.")
    var base: String

    @Option(help: "The candidate: a full, sharded or LoRA checkpoint.")
    var candidate: String

    @Option(help: "The retain profile (*.profile.safetensors).")
    var profile: String

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    @Option(help: "Modules to list, worst first.")
    var top = 10

    /// What `drift --json` prints: the report plus the paths.
    struct JSONReport: Encodable {
        let path: String
        let base: String
        let report: DriftReport

        func encode(to encoder: Encoder) throws {
            try report.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(path, forKey: .path)
            try container.encode(base, forKey: .base)
        }

        enum Keys: String, CodingKey { case path, base }
    }

    func run() throws {
        if let warning = BLAS.slowKernelWarning { Output.error("warning: \(warning)") }
        BLAS.useAllCoresForPasses()
        let retain = try RetainProfile.read(profile)
        let baseCheckpoint = try Checkpoint.open(base)
        let candidateCheckpoint = try Checkpoint.open(candidate)
        let report = try Drift.measure(candidate: candidateCheckpoint, base: baseCheckpoint, profile: retain).report
        if json {
            try Output.printJSON(JSONReport(path: candidate, base: base, report: report))
        } else {
            printTables(report)
        }
    }

    private func printTables(_ r: DriftReport) {
        func f(_ x: Double) -> String { String(format: "%.6g", x) }
        print("candidate   \(candidate)  (\(r.fingerprint.prefix(12)))")
        print("base        \(base)  (\(r.baseFingerprint.prefix(12)))")
        print("drift       \(f(r.drift))  (RMS of ρ over \(r.modules.count) modules)")
        print("drift_max   \(f(r.driftMax))  \(r.driftMaxModule)")
        let worst = r.modules.sorted { $0.rho > $1.rho }.prefix(max(0, top))
        if !worst.isEmpty {
            let width = max(6, worst.map(\.name.count).max()!)
            print("")
            print("module".padding(toLength: width, withPad: " ", startingAt: 0) + "  rho         beta        upper/energy")
            for m in worst {
                let ratio = m.energy > 0 ? String(format: "%.3g", m.energyUpper / m.energy) : "-"
                print(m.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                      + f(m.rho).padding(toLength: 10, withPad: " ", startingAt: 0) + "  "
                      + f(m.beta).padding(toLength: 10, withPad: " ", startingAt: 0) + "  " + ratio)
            }
        }
        let layers = Dictionary(grouping: r.modules) { LayerIndex.of($0.name) }
        if layers.count > 1 {
            print("")
            print("layer   modules  drift       max")
            for key in layers.keys.sorted(by: LayerIndex.order) {
                let ms = layers[key]!
                let rms = (ms.reduce(0.0) { $0 + $1.rho * $1.rho } / Double(ms.count)).squareRoot()
                print((key.map(String.init) ?? "other").padding(toLength: 8, withPad: " ", startingAt: 0)
                      + String(ms.count).padding(toLength: 9, withPad: " ", startingAt: 0)
                      + f(rms).padding(toLength: 12, withPad: " ", startingAt: 0) + f(ms.map(\.rho).max()!))
            }
        }
        if !r.unprofiled.isEmpty {
            let largest = r.unprofiled.max { $0.relativeChange < $1.relativeChange }!
            print("")
            print("unprofiled  \(r.unprofiled.count) changed tensor\(r.unprofiled.count == 1 ? "" : "s") (not gated); largest \(largest.name) \(f(largest.relativeChange))")
        }
        for warning in r.warnings { print("warning: \(warning)") }
    }
}

/// The decoder layer a weight belongs to (`…layers.12.…` → 12).
enum LayerIndex {
    static func of(_ name: String) -> Int? {
        let parts = name.split(separator: ".")
        for (i, p) in parts.enumerated() where (p == "layers" || p == "h" || p == "blocks") && i + 1 < parts.count {
            if let n = Int(parts[i + 1]) { return n }
        }
        return nil
    }

    static func order(_ a: Int?, _ b: Int?) -> Bool {
        switch (a, b) {
        case let (x?, y?): x < y
        case (_?, nil): true
        default: false
        }
    }
}
