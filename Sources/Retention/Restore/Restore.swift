import Foundation
import Linalg
import SafeTensors

/// docs/spec.md §4: writes a restored checkpoint whose update no longer moves retain activations,
/// keeping the forgetting carrier, and reports figures measured on what was written.
public enum Restore {
    /// Restores a full or sharded `candidate` into `destination` (which must not exist),
    /// in the candidate's layout, atomically: built beside the destination, fsynced,
    /// renamed into place. Nothing is left at `destination` when it throws.
    ///
    /// - Parameter measured: the candidate's drift measurement when the caller has it (the
    ///   daemon measures before it decides to restore); measured here otherwise.
    public static func run(candidate: Checkpoint, base: Checkpoint, retain: RetainProfile, forget: RetainProfile?,
                           options: RestoreOptions, destination: String, measured: Drift.Measurement? = nil,
                           version: String = "dev") throws -> RestoreReport {
        let before = try measured ?? Drift.measure(candidate: candidate, base: base, profile: retain)
        // The passes below hash nothing: give BLAS every core.
        return try BLAS.withAllCores {
            try restore(candidate: candidate, base: base, retain: retain, forget: forget, options: options,
                        destination: destination, before: before, version: version)
        }
    }

    private static func restore(candidate: Checkpoint, base: Checkpoint, retain: RetainProfile, forget: RetainProfile?,
                                options: RestoreOptions, destination: String, before: Drift.Measurement,
                                version: String) throws -> RestoreReport {
        var options = options
        var warnings: [String] = []
        if let target = options.targetDrift {
            let search = try Plan(candidate: candidate, base: base, retain: retain, forget: forget, options: options,
                                  baseFingerprint: before.reference.fingerprint, keepingBases: true)
            let found = try alphaForTarget(target, plan: search, gamma: options.gamma, reference: before.reference)
            options.alpha = found.alpha
            if !found.reachable {
                warnings.append(String(format: "target_drift %.3g is not reachable with α ≤ 1e6; restored with α = 1e6", target))
            }
        }
        if candidate.adapter != nil {
            return try runAdapter(candidate: candidate, base: base, retain: retain, forget: forget, options: options,
                                  destination: destination, before: before, version: version, warnings: warnings)
        }
        let plan = try Plan(candidate: candidate, base: base, retain: retain, forget: forget, options: options,
                            baseFingerprint: before.reference.fingerprint)
        let (dtypes, reason) = try outputDTypes(plan.sourceDTypes, rule: options.outputDType) {
            try plan.driftAfter(dtypes: $0, reference: before.reference)
        }

        return try withOutput(destination, candidate: candidate) { output in
            let shardPlan = ShardPlan.mirroring(candidate) { dtypes[$0.name] ?? $0.dtype }
            var figures = Plan.Figures()
            try CheckpointWriter.write(shardPlan, into: output, metadata: ["format": "pt"]) { spec, writer in
                if dtypes[spec.name] != nil {
                    figures.outcomes[spec.name] = try plan.outcome(spec.name, dtype: spec.dtype, writer: writer)
                } else {
                    let location = candidate.location(of: spec.name)!
                    try writer.copy(location.tensor, from: location.file)
                }
            }
            return try finish(figures, plan: plan, dtypes: dtypes, reason: reason, candidate: candidate, retain: retain, forget: forget,
                              options: options, output: output, before: before, version: version, warnings: warnings)
        }
    }

    /// docs/spec.md §4's output dtype rule: `float32` always F32, `source` the candidate's dtypes,
    /// `auto` the candidate's unless rounding leaves `drift_after` above 1.5× its unrounded
    /// value (measured by `driftAfter` for the candidate's dtypes), then F32 with the reason.
    static func outputDTypes(_ source: [String: DType], rule: RestoreOptions.OutputDType,
                             driftAfter: ([String: DType]) throws -> (rounded: Double, exact: Double)) rethrows -> ([String: DType], String?) {
        let float32 = source.mapValues { _ in DType.f32 }
        switch rule {
        case .float32: return (float32, nil)
        case .source: return (source, nil)
        case .auto:
            guard source.values.contains(where: { $0 != .f32 }) else { return (source, nil) }
            let (rounded, exact) = try driftAfter(source)
            guard rounded > 1.5 * exact else { return (source, nil) }
            let names = Set(source.values).map(\.rawValue).sorted().joined(separator: "/")
            return (float32, String(format: "rounding to %@ left drift_after at %.3g, above 1.5× its unrounded %.3g", names, rounded, exact))
        }
    }

    /// Builds the output in a temporary directory beside `destination` (after removing
    /// what killed runs left there); abandons it if `body` throws, so nothing partial is
    /// ever published. Write failures become ``DriftError/Reason/output(_:)``.
    static func withOutput(_ destination: String, candidate: Checkpoint, _ body: (AtomicDirectory) throws -> RestoreReport) throws -> RestoreReport {
        AtomicDirectory.removeStaleTemporaries(for: destination)
        let output: AtomicDirectory
        do { output = try AtomicDirectory(destination: destination) } catch { throw DriftError(checkpoint: candidate.path, reason: .output(error)) }
        do {
            return try body(output)
        } catch {
            output.abandon()
            if let e = error as? SafeTensorsError { throw DriftError(checkpoint: candidate.path, reason: .output(e)) }
            throw error
        }
    }

    /// Copies the model's side files (``SideFiles``: config, tokenizer, chat template,
    /// model card…; never training state), writes the report and provenance (listing the
    /// side files copied), and publishes the output. A side file left out for a reason
    /// (a symlink leading out of the checkpoint, a FIFO or device, too large) is a
    /// warning in the report.
    static func finish(_ figures: Plan.Figures, plan: Plan, dtypes: [String: DType], reason: String?, candidate: Checkpoint,
                       retain: RetainProfile, forget: RetainProfile?, options: RestoreOptions, output: AtomicDirectory,
                       before: Drift.Measurement, version: String, warnings: [String]) throws -> RestoreReport {
        let final = figures.finished(modules: plan.moduleOrder, before: before.report)
        let sideFiles = try output.copySideFiles(of: candidate)
        let outputDType = Set(dtypes.values).map(\.rawValue).sorted().joined(separator: "/")
        var warnings = warnings + sideFiles.warnings
        if final.updateKept > options.maxUpdateGain {
            warnings.append(String(format: "update_kept is %.2f, above max_update_gain %.2f: the restore enlarged the update to keep the forget carrier where retain and forget directions overlap", final.updateKept, options.maxUpdateGain))
        }
        if forget == nil {
            warnings.append("no forget profile: the restore also cancels much of the forgetting; capture a forget profile to keep it")
        }
        let report = RestoreReport(
            path: output.destination, source: candidate.path, fingerprint: before.report.fingerprint,
            baseFingerprint: before.reference.fingerprint, alpha: options.alpha, gamma: forget == nil ? 0 : options.gamma,
            mode: options.targetDrift == nil ? "alpha" : "target_drift", targetDrift: options.targetDrift, outputDType: outputDType, outputDTypeReason: reason, drift: before.report.drift, driftAfter: final.driftAfter,
            forgetKept: final.forgetKept, updateKept: final.updateKept, modules: final.modules, warnings: warnings + before.report.warnings)
        try output.writeFile(Provenance.fileName, contents: Provenance(report, retain: retain, forget: forget, version: version,
                                                                  sideFiles: sideFiles.copied).fileContents())
        try output.publish()
        return report
    }
}
