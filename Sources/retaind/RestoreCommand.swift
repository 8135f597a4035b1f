import ArgumentParser
import Foundation
import Linalg
import Retention
import SafeTensors

/// `retaind restore`: one-off SAGE restoration of a candidate checkpoint.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Write a restored checkpoint whose update no longer moves retain activations.",
        discussion: """
            The output directory must not exist; it appears complete or not at all. Figures \
            (drift_after, forget_kept, update_kept) are measured on the weights written. \
            Exits 1 with the reason when an input is refused or the output cannot be written.
            """
    )

    @Option(help: "The base checkpoint the profiles were captured on.")
    var base: String

    @Option(help: "The candidate: a full or sharded checkpoint.")
    var candidate: String

    @Option(help: "The retain profile (*.profile.safetensors).")
    var profile: String

    @Option(help: "A forget profile: keeps the forgetting carrier.")
    var forgetProfile: String?

    @Option(help: "Strength of the retain penalty (default 10).")
    var alpha: Double?

    @Option(help: "Instead of --alpha: the smallest α whose drift_after is at most this.")
    var targetDrift: Double?

    @Option(help: "Strength of forget-carrier preservation (with --forget-profile).")
    var gamma: Double = 10

    @Option(help: "auto (candidate's dtype unless rounding keeps the drift; then F32), source or float32.")
    var outputDtype: RestoreOptions.OutputDType = .auto

    @Option(help: "Where to write the restored checkpoint (must not exist).")
    var out: String

    @Flag(help: "Print JSON instead of a summary.")
    var json = false

    func validate() throws {
        if let alpha, !(alpha > 0 && alpha.isFinite) { throw ValidationError("--alpha must be a positive number") }
        if alpha != nil && targetDrift != nil {
            throw ValidationError("--alpha and --target-drift exclude each other: give a fixed α or a target to search it for")
        }
        guard gamma >= 0, gamma.isFinite else { throw ValidationError("--gamma must be zero or positive") }
        if let targetDrift, !(targetDrift >= 0 && targetDrift.isFinite) { throw ValidationError("--target-drift must be zero or positive") }
    }

    func run() throws {
        if let warning = BLAS.slowKernelWarning { Output.error("warning: \(warning)") }
        BLAS.useAllCoresForPasses()
        // A file size limit (ulimit -f) must be a clean write error, not a signal that
        // kills the process mid-output.
        signal(SIGXFSZ, SIG_IGN)
        let retain = try RetainProfile.read(profile)
        let forget = try forgetProfile.map { path throws(ProfileError) in try RetainProfile.read(path) }
        var options = RestoreOptions(targetDrift: targetDrift, gamma: gamma, outputDType: outputDtype)
        if let alpha { options.alpha = alpha }
        let report = try Restore.run(candidate: Checkpoint.open(candidate), base: Checkpoint.open(base), retain: retain, forget: forget,
                                     options: options, destination: out, version: Retaind.version)
        if json {
            try Output.printJSON(report)
            return
        }
        func f(_ x: Double) -> String { String(format: "%.6g", x) }
        print("restored     \(report.path)")
        print("from         \(report.source)  (\(report.fingerprint.prefix(12)))")
        print("alpha/gamma  \(f(report.alpha)) / \(f(report.gamma))\(report.targetDrift.map { "  (searched for target_drift \(f($0)))" } ?? "")")
        print("drift        \(f(report.drift)) → \(f(report.driftAfter))")
        if let kept = report.forgetKept { print("forget_kept  \(f(kept))") }
        print("update_kept  \(f(report.updateKept))")
        print("dtype        \(report.outputDType)\(report.outputDTypeReason.map { " (\($0))" } ?? "")")
        for warning in report.warnings { print("warning: \(warning)") }
    }
}

extension RestoreOptions.OutputDType: ExpressibleByArgument {}
