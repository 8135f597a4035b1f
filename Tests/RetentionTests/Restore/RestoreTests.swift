import Foundation
import Testing
import TestSupport
import SafeTensors
@testable import Retention

/// Restores of the committed fixtures against the dense numpy reference, and the
/// properties docs/spec.md §4 promises.
@Suite(.serialized) struct RestoreTests {
    static let base = Fixtures.tiny("base")
    static let retain = Fixtures.tiny("retain.profile.safetensors")
    static let forget = Fixtures.tiny("forget.profile.safetensors")

    static func restore(_ candidate: String, alpha: Double, gamma: Double = 10, forget: Bool = true,
                        dtype: RestoreOptions.OutputDType = .float32) throws -> RestoreReport {
        try Restore.run(candidate: Checkpoint.open(Fixtures.tiny(candidate)), base: Checkpoint.open(base),
                        retain: RetainProfile.read(retain), forget: forget ? RetainProfile.read(Self.forget) : nil,
                        options: RestoreOptions(alpha: alpha, gamma: gamma, outputDType: dtype),
                        destination: try Fixtures.temporaryDirectory() + "/restored")
    }

    struct Reference: Decodable {
        let drift_after: Double
        let update_kept: Double
        let forget_kept: Double?
    }

    static func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-4) -> Bool {
        abs(a - b) <= tolerance * max(abs(a), abs(b))
    }

    @Test(arguments: [("cand-full", true, RestoreOptions.OutputDType.float32), ("cand-full", false, .float32),
                      ("cand-bf16", true, .source), ("cand-sharded", true, .float32)])
    func restoredWeightsAndFigures_matchDenseNumpyReference(candidate: String, withForget: Bool, dtype: RestoreOptions.OutputDType) throws {
        let report = try Self.restore(candidate, alpha: 10, forget: withForget, dtype: dtype)
        let expectedPath = try Fixtures.temporaryDirectory() + "/expected.safetensors"
        var arguments = ["--base", Self.base, "--candidate", Fixtures.tiny(candidate), "--profile", Self.retain, "--alpha", "10",
                         "--output-dtype", dtype == .source ? "source" : "float32", "--out", expectedPath]
        if withForget { arguments += ["--forget-profile", Self.forget] }
        let reference = try JSONDecoder().decode(Reference.self, from: Fixtures.reference("restore.py", arguments))
        #expect(Self.close(report.driftAfter, reference.drift_after), "drift_after \(report.driftAfter) vs \(reference.drift_after)")
        #expect(Self.close(report.updateKept, reference.update_kept))
        if withForget { #expect(Self.close(report.forgetKept!, reference.forget_kept!)) } else { #expect(report.forgetKept == nil) }
        // Weight by weight: what Swift wrote against what the dense solve gives.
        let written = try Checkpoint.open(report.path)
        let expected = try SafeTensorsFile(path: expectedPath)
        let baseCheckpoint = try Checkpoint.open(Self.base)
        for tensor in expected.tensors {
            let w = try written.location(of: tensor.name)!.file.float32Array(written.location(of: tensor.name)!.tensor)
            let e = try expected.float32Array(tensor)
            let w0 = try baseCheckpoint.location(of: tensor.name)!.file.float32Array(baseCheckpoint.location(of: tensor.name)!.tensor)
            let updateScale = zip(e, w0).map { abs($0 - $1) }.max()!
            let worst = zip(w, e).map { abs($0 - $1) }.max()!
            // Within F32 rounding of W0 + D (or one BF16 step where the two sides round a tie differently).
            let tolerance = dtype == .source ? 4e-3 * e.map(abs).max()! : 1e-4 * updateScale + 1e-6 * e.map(abs).max()!
            #expect(worst <= tolerance, "\(tensor.name): max |swift − numpy| = \(worst), update scale \(updateScale)")
        }
    }

    @Test func reportedDriftAfter_isWhatDriftMeasuresOnTheOutput() throws {
        for dtype in [RestoreOptions.OutputDType.source, .float32] {
            let report = try Self.restore("cand-bf16", alpha: 10, dtype: dtype)
            let measured = try Drift.measure(candidate: Checkpoint.open(report.path), base: Checkpoint.open(Self.base),
                                             profile: RetainProfile.read(Self.retain)).report
            #expect(Self.close(measured.drift, report.driftAfter, 1e-5), "\(dtype): \(measured.drift) vs \(report.driftAfter)")
        }
    }

    @Test func bf16Rounding_keepsDriftThatF32Removes_andAutoPicksF32() throws {
        let source = try Self.restore("cand-bf16", alpha: 100, dtype: .source)
        let float32 = try Self.restore("cand-bf16", alpha: 100, dtype: .float32)
        let auto = try Self.restore("cand-bf16", alpha: 100, dtype: .auto)
        #expect(source.outputDType == "BF16")
        #expect(float32.outputDType == "F32")
        #expect(source.driftAfter > 1.5 * float32.driftAfter, "BF16 steps are coarser than the correction")
        #expect(auto.outputDType == "F32")
        #expect(auto.outputDTypeReason?.contains("above 1.5×") == true)
        #expect(auto.driftAfter == float32.driftAfter)
    }

    @Test func tinyAlpha_keepsTheUpdate() throws {
        let report = try Self.restore("cand-full", alpha: 1e-6, forget: false)
        #expect(abs(report.updateKept - 1) < 1e-4)
        #expect(Self.close(report.driftAfter, report.drift, 1e-3))
    }

    @Test func driftAfter_decreasesWithAlpha() throws {
        let figures = try [0.1, 1, 10, 100, 1000].map { try Self.restore("cand-full", alpha: $0, forget: false).driftAfter }
        for (a, b) in zip(figures, figures.dropFirst()) { #expect(b < a, "\(figures)") }
    }

    @Test func forgetProfile_keepsMoreOfTheForgetCarrier() throws {
        // forget_kept measured with the forget profile in both cases; γ = 0 ignores it in the solve.
        let without = try Self.restore("cand-full", alpha: 10, gamma: 0)
        let with = try Self.restore("cand-full", alpha: 10, gamma: 10)
        #expect(with.forgetKept! > without.forgetKept!, "γ=10 \(with.forgetKept!) vs γ=0 \(without.forgetKept!)")
    }

    @Test func provenanceAndCopiedFiles_areInTheOutput() throws {
        let report = try Self.restore("cand-full", alpha: 10)
        let provenance = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report.path + "/retaind.json"))) as! [String: Any]
        #expect(provenance["source_fingerprint"] as? String == report.fingerprint)
        #expect(provenance["base_fingerprint"] as? String == report.baseFingerprint)
        #expect(provenance["alpha"] as? Double == 10)
        #expect(Self.close(provenance["drift_after"] as! Double, report.driftAfter, 1e-12))
        #expect(FileManager.default.fileExists(atPath: report.path + "/config.json"))
        // Unprofiled tensors are byte-identical copies of the candidate's.
        let written = try Checkpoint.open(report.path), candidate = try Checkpoint.open(Fixtures.tiny("cand-full"))
        let norm = "model.norm.weight"
        #expect(try written.location(of: norm)!.file.bytes(of: written.location(of: norm)!.tensor)
                == candidate.location(of: norm)!.file.bytes(of: candidate.location(of: norm)!.tensor))
    }

    @Test func provenance_readsBackWhatWasWritten_withTheFileKeys() throws {
        let report = try Self.restore("cand-full", alpha: 10, forget: false)
        let provenance = try Provenance.read(directory: report.path)
        #expect(provenance.sourcePath == Fixtures.tiny("cand-full"))
        #expect(provenance.sourceFingerprint == report.fingerprint)
        #expect(provenance.baseFingerprint == report.baseFingerprint)
        #expect(provenance.alpha == 10 && provenance.gamma == 0 && provenance.mode == "alpha")
        #expect(provenance.driftAfter == report.driftAfter && provenance.updateKept == report.updateKept)
        #expect(provenance.forgetProfileProxy == nil && provenance.forgetKept == nil)
        #expect(provenance.retaindVersion == "dev")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report.path + "/retaind.json"))) as! [String: Any]
        #expect(Set(object.keys) == ["source_path", "source_fingerprint", "base_fingerprint", "retain_profile_proxy", "alpha", "gamma",
                                     "mode", "drift", "drift_after", "update_kept", "output_dtype", "retaind_version", "time",
                                     "side_files"])
        #expect(provenance.sideFiles == ["config.json"])
        #expect(throws: (any Error).self) { try Provenance.read(directory: Self.base) }
    }

    @Test func existingDestination_isRefusedAndUntouched() throws {
        let destination = try Fixtures.temporaryDirectory()
        try Data("keep".utf8).write(to: URL(fileURLWithPath: destination + "/mine.txt"))
        #expect(throws: DriftError.self) {
            try Restore.run(candidate: Checkpoint.open(Fixtures.tiny("cand-full")), base: Checkpoint.open(Self.base),
                            retain: RetainProfile.read(Self.retain), forget: nil, options: RestoreOptions(), destination: destination)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination) == ["mine.txt"])
    }
}

/// LoRA in, LoRA out: the same correction as restoring the merged update.
@Suite(.serialized) struct AdapterRestoreTests {
    @Test func loraRestore_equalsFullRestoreOfTheMergedUpdate() throws {
        let lora = try RestoreTests.restore("cand-lora", alpha: 10)
        let merged = try RestoreTests.restore("cand-lora-merged", alpha: 10)
        #expect(RestoreTests.close(lora.driftAfter, merged.driftAfter, 1e-3), "\(lora.driftAfter) vs \(merged.driftAfter)")
        #expect(RestoreTests.close(lora.forgetKept!, merged.forgetKept!, 1e-3))
        let restoredAdapter = try Checkpoint.open(lora.path)
        #expect(restoredAdapter.layout == .lora)
        let adapter = try #require(restoredAdapter.adapter)
        let base = try Checkpoint.open(RestoreTests.base), full = try Checkpoint.open(merged.path)
        for module in adapter.modules {
            let delta = try adapter.delta(of: module)
            let w0 = try base.location(of: module.weightName)!.file.float32Array(base.location(of: module.weightName)!.tensor)
            let wFull = try full.location(of: module.weightName)!.file.float32Array(full.location(of: module.weightName)!.tensor)
            let scale = delta.map(abs).max()!
            let worst = zip(zip(w0, delta).map { $0 + $1 }, wFull).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-4 * scale, "\(module.weightName): \(worst) vs update scale \(scale)")
        }
        // Only A changed: B and the config are the candidate's.
        let original = try Checkpoint.open(Fixtures.tiny("cand-lora")).adapter!
        for (m, o) in zip(adapter.modules, original.modules) {
            #expect(try adapter.file.float32Array(m.b) == original.file.float32Array(o.b))
            #expect(m.rank == o.rank && m.scale == o.scale)
        }
        #expect(FileManager.default.fileExists(atPath: lora.path + "/adapter_config.json"))
    }
}

/// Target-drift mode finds the smallest α meeting the target.
@Suite(.serialized) struct TargetDriftTests {
    static func restore(_ candidate: String, target: Double? = nil, alpha: Double = 10) throws -> RestoreReport {
        try Restore.run(candidate: Checkpoint.open(Fixtures.tiny(candidate)), base: Checkpoint.open(RestoreTests.base),
                        retain: RetainProfile.read(RestoreTests.retain), forget: RetainProfile.read(RestoreTests.forget),
                        options: RestoreOptions(alpha: alpha, targetDrift: target, gamma: 10, outputDType: .float32),
                        destination: try Fixtures.temporaryDirectory() + "/restored")
    }

    @Test(arguments: [("cand-full", 0.0005), ("cand-full", 0.001), ("cand-lora", 0.05)])
    func targetDrift_landsUnderTheTargetWithTheSmallestAlpha(candidate: String, target: Double) throws {
        let report = try Self.restore(candidate, target: target)
        #expect(report.mode == "target_drift")
        #expect(report.driftAfter <= target * (1 + 1e-5), "drift_after \(report.driftAfter) over target \(target)")
        let smaller = try Self.restore(candidate, alpha: report.alpha * 0.99)
        #expect(smaller.driftAfter > target, "α·0.99 = \(report.alpha * 0.99) also meets the target: \(smaller.driftAfter)")
    }

    @Test func unreachableTarget_warnsAndUsesTheLargestAlpha() throws {
        let report = try Self.restore("cand-full", target: 0)
        #expect(report.alpha == 1e6)
        #expect(report.warnings.contains { $0.contains("not reachable") })
    }
}

/// An F64 checkpoint restored in its own dtype: written as F64, with the figures of the
/// same weights in F32 (it used to stop the process on a precondition).
struct RestoreF64Tests {
    /// A copy of tiny fixture `name` with every tensor widened to F64.
    static func widened(_ name: String, into directory: String) throws -> String {
        let source = try SafeTensorsFile(path: Fixtures.tiny(name) + "/model.safetensors")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let writer = try SafeTensorsWriter(path: directory + "/model.safetensors",
                                           tensors: source.tensors.map { TensorSpec(name: $0.name, dtype: .f64, shape: $0.shape) })
        for tensor in source.tensors {
            let values = try source.float32Array(tensor).map(Double.init)
            try values.withUnsafeBytes { try writer.append($0) }
        }
        try writer.finish()
        try FileManager.default.copyItem(atPath: Fixtures.tiny(name) + "/config.json", toPath: directory + "/config.json")
        return directory
    }

    @Test func anF64Candidate_isRestoredAsF64_withTheF32Figures() throws {
        let scratch = try Fixtures.temporaryDirectory()
        // The base stays F32: the profile names its fingerprint.
        let candidate = try Self.widened("cand-full", into: scratch + "/cand")
        let report = try Restore.run(candidate: Checkpoint.open(candidate), base: Checkpoint.open(RestoreTests.base),
                                     retain: RetainProfile.read(RestoreTests.retain), forget: RetainProfile.read(RestoreTests.forget),
                                     options: RestoreOptions(alpha: 10, gamma: 10, outputDType: .source), destination: scratch + "/restored")
        let reference = try RestoreTests.restore("cand-full", alpha: 10)
        #expect(report.outputDType == "F64")
        #expect(RestoreTests.close(report.driftAfter, reference.driftAfter), "\(report.driftAfter) vs \(reference.driftAfter)")
        let written = try SafeTensorsFile(path: report.path + "/model.safetensors")
        #expect(written.tensors.allSatisfy { $0.dtype == .f64 })
    }
}
