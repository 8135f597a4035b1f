import ArgumentParser
import Foundation
import SafeTensors

/// `retaind inspect`: validate a checkpoint and describe it.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Validate a checkpoint (or .safetensors file) and print its layout, size and fingerprint.",
        discussion: "Reads every tensor once: the fingerprint and the NaN/Inf check share the pass. Exits 1 with the reason when the checkpoint is invalid."
    )

    @Argument(help: "A Hugging Face checkpoint directory, a PEFT LoRA adapter directory, or a .safetensors file.")
    var path: String

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    /// What `inspect --json` prints.
    struct Report: Encodable {
        var path: String
        var ok: Bool
        var error: String?
        var layout: String?
        var files: [String]?
        var tensors: Int?
        var parameters: Int?
        var dtypes: [String: Int]?
        var bytes: Int?
        var fingerprint: String?
        var lora: LoRASummary?
    }

    struct LoRASummary: Encodable {
        var modules: Int
        var ranks: [Int]
        var use_rslora: Bool
        var fan_in_fan_out: Bool
        var scale_min: Double
        var scale_max: Double
    }

    func run() throws {
        var report = Report(path: path, ok: false)
        do {
            let checkpoint = try Checkpoint.open(path)
            let fingerprint = try checkpoint.stream(rejectNonFinite: true)
            let tensors = checkpoint.tensors
            report.ok = true
            report.layout = checkpoint.layout.rawValue
            report.files = checkpoint.files.map { ($0.path as NSString).lastPathComponent }
            report.tensors = tensors.count
            report.parameters = tensors.reduce(0) { $0 + $1.elementCount }
            report.dtypes = Dictionary(tensors.map { ($0.dtype.rawValue, 1) }, uniquingKeysWith: +)
            report.bytes = checkpoint.fileBytes
            report.fingerprint = fingerprint
            if let adapter = checkpoint.adapter {
                let scales = adapter.modules.map(\.scale)
                report.lora = LoRASummary(
                    modules: adapter.modules.count,
                    ranks: Array(Set(adapter.modules.map(\.rank))).sorted(),
                    use_rslora: adapter.config.useRSLoRA,
                    fan_in_fan_out: adapter.config.fanInFanOut,
                    scale_min: scales.min() ?? 0, scale_max: scales.max() ?? 0)
            }
        } catch {
            report.error = String(describing: error)
        }
        if json {
            try Output.printJSON(report)
        } else if report.ok {
            printTable(report)
        }
        if let message = report.error {
            if !json { Output.error("error: \(message)") }
            throw ExitCode(1)
        }
    }

    private func printTable(_ r: Report) {
        var rows: [(String, String)] = [
            ("checkpoint", r.path),
            ("layout", "\(r.layout!) (\(r.files!.count) file\(r.files!.count == 1 ? "" : "s"))"),
            ("tensors", Output.grouped(r.tensors!)),
            ("parameters", Output.grouped(r.parameters!)),
            ("dtypes", r.dtypes!.keys.sorted().map { "\($0) ×\(r.dtypes![$0]!)" }.joined(separator: ", ")),
            ("bytes", "\(Output.grouped(r.bytes!)) (\(Output.bytes(r.bytes!)))"),
        ]
        if let lora = r.lora {
            rows.append(("lora", "\(lora.modules) modules, rank \(lora.ranks.map(String.init).joined(separator: "/")), scale \(lora.scale_min)…\(lora.scale_max)\(lora.use_rslora ? ", rsLoRA" : "")\(lora.fan_in_fan_out ? ", fan_in_fan_out" : "")"))
        }
        rows.append(("fingerprint", r.fingerprint!))
        rows.append(("status", "ok"))
        for (key, value) in rows { print(key.padding(toLength: 12, withPad: " ", startingAt: 0) + value) }
    }
}
